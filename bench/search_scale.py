"""Search at scale: a synthetic catalog *with extracted body text*, timed through
``GET /api/v1/search`` of a real query-module process.

    .venv/bin/python bench/search_scale.py [--docs 100000] [--repeat 15] [--keep | --cached]

Generates the documents (Russian and English metadata and bodies, inflected forms, names,
numbers; lemmas made by the same code as the indexer's), loads them with COPY into a fresh
catalog database, and prints p50/p95 per kind of search, facets included. 1M documents take
the machine for a long while (generation ~10 min, load and ANALYZE much longer on 2 cores), so
`--cached` (what `make bench` uses) keeps each size's corpus in a database of the local stack
(`bench_search_corpus_<docs>_v<CORPUS_VERSION>`, under `.artstore/test-stack`) and later runs
only migrate and time it. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from support import ROOT, create_db, drop_dbs, load_stack, pct, work_dir

from artstore_common.testing import ServiceProcess, TokenFactory
from query_module.text.morph import lemma_text

KINDS = [("Договор поставки", "dogovor"), ("Счёт-фактура", "schet-faktura"),
         ("Акт сверки", "akt"), ("Заявка на закупку", "zayavka"), ("План закупок", "plan"),
         ("Справка о доходах", "spravka"), ("Служебная записка", "zapiska"),
         ("Invoice", "invoice"), ("Purchase order", "po"), ("Contract", "contract")]
RU_WORDS = ("поставка поставки поставок оборудование оборудования договор договора договоров "
            "оплата оплаты сроки срок счёт счета закупка закупки закупок склад склада склады "
            "груз груза накладная накладных ремонт ремонта работы работ услуги услуг "
            "стоимость цена цены доход доходы доходов справка справки заявка заявок "
            "ошибка ошибок письмо письма директор директора бухгалтер отчёт отчёта отчётов "
            "претензия претензии неустойка неустойки аренда аренды помещение помещения "
            "котельная котельной экскаватор бетономешалка кирпич кирпича цемент цемента").split()
EN_WORDS = ("invoice invoices payment payments shipment shipments delivery delivered order "
            "orders contract contracts warranty claims service services report reports "
            "container containers pallet pallets supplier suppliers customs").split()
SYLLABLES = "ка ра ло ми та со ве ни ду ро ва ле зо ба ти".split()
TYPES = ["application/pdf", "application/vnd.openxmlformats-officedocument."
         "wordprocessingml.document", "image/png", "text/plain", "application/vnd."
         "openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"]
# Bump when documents() or LOAD change: a cached corpus of another version is rebuilt.
CORPUS_VERSION = 1
SES = [uuid.uuid5(uuid.NAMESPACE_URL, f"bench-se-{i}") for i in range(3)]


def surnames(n: int, rnd: random.Random) -> list[str]:
    out = set()
    while len(out) < n:
        out.add("".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 3))).capitalize()
                + rnd.choice(["ов", "ин", "ский", "ева"]))
    return sorted(out)


def documents(n: int, seed: int = 7):
    rnd = random.Random(seed)
    names = surnames(2000, rnd)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    zipf = [1 / (i + 1) for i in range(len(RU_WORDS))]
    for i in range(n):
        title, slug = rnd.choice(KINDS)
        person = rnd.choice(names)
        number = 10000 + i
        english = title[0].isascii()
        words = (rnd.choices(EN_WORDS, k=60) if english
                 else rnd.choices(RU_WORDS, weights=zipf, k=80))
        body = " ".join(words) + f" {person} № {number}"
        description = f"{title} № {number} {person}"
        created = start + timedelta(seconds=rnd.randint(0, 3 * 365 * 86400))
        ctype = rnd.choice(TYPES)
        yield {
            "file_id": uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{seed}-{i}"),
            "storage_element_id": rnd.choice(SES),
            "original_filename": f"{slug}_{number}.pdf", "description": description,
            "tags": [rnd.choice(["бухгалтерия", "логистика", "кадры", "finance", "legal"])],
            "content_type": ctype, "size": rnd.randint(1000, 5_000_000),
            "created_at": created,
            "retention_policy": rnd.choice(["permanent", "temporary"]),
            "body": body, "meta_lemmas": lemma_text(description + " " + slug),
            "body_lemmas": lemma_text(body), "person": person, "number": number,
        }


STAGING = """
CREATE UNLOGGED TABLE bench_docs (
    file_id uuid, storage_element_id uuid, original_filename text, description text,
    tags text[], content_type text, size bigint, created_at timestamptz,
    retention_policy text, body text, meta_lemmas text, body_lemmas text)
"""
LOAD = """
INSERT INTO catalog_files (file_id, storage_element_id, original_filename, storage_filename,
    extension, size, content_type, sha256, created_at, updated_at, uploaded_by_id,
    uploaded_by_name, description, tags, retention_policy, status, custom, event_at,
    text_state, meta_lemmas, body_vector)
SELECT file_id, storage_element_id, original_filename, file_id::text, 'pdf', size,
    content_type, md5(file_id::text) || md5(file_id::text), created_at, created_at, 'bench',
    'bench', description, tags, retention_policy, 'active', '{}'::jsonb, created_at, 'done',
    meta_lemmas,
    setweight(to_tsvector('russian', body) || to_tsvector('english', body)
              || to_tsvector('simple', body_lemmas), 'D')
FROM bench_docs;
INSERT INTO catalog_texts (file_id, sha256, content, method, extracted_at)
SELECT file_id, md5(file_id::text) || md5(file_id::text), body, 'plain', now() FROM bench_docs;
TRUNCATE bench_docs;
"""
COLUMNS = ["file_id", "storage_element_id", "original_filename", "description", "tags",
           "content_type", "size", "created_at", "retention_policy", "body", "meta_lemmas",
           "body_lemmas"]


async def load(dsn: str, n: int, batch: int = 20_000) -> dict:
    conn = await asyncpg.connect(dsn)
    sample: dict = {}
    try:
        await conn.execute(STAGING)
        rows = []
        started = time.perf_counter()
        for i, doc in enumerate(documents(n)):
            if i == n // 2:
                sample = doc
            rows.append(tuple(doc[c] for c in COLUMNS))
            if len(rows) == batch or i == n - 1:
                await conn.copy_records_to_table("bench_docs", records=rows, columns=COLUMNS)
                await conn.execute(LOAD)
                rows = []
                print(f"  loaded {i + 1:>8} documents  {time.perf_counter() - started:6.0f} s",
                      file=sys.stderr, flush=True)
        await conn.execute("DROP TABLE bench_docs")
        await conn.execute("CREATE TABLE bench_sample AS SELECT $1::text AS person, "
                           "$2::int AS number", sample["person"], sample["number"])
        await conn.execute("VACUUM ANALYZE catalog_files")
        await conn.execute("VACUUM ANALYZE catalog_texts")
        await conn.execute("CREATE TABLE bench_complete ()")  # a cached corpus is usable
    finally:
        await conn.close()
    return sample


def cases(sample: dict) -> list[tuple[str, str, dict]]:
    """(kind, label, query parameters); kind is fulltext, filter, partial or facets."""
    person, number = sample["person"], sample["number"]
    return [
        ("fulltext", "selective (name + kind)", {"q": f"{person} договор"}),
        ("fulltext", "selective, newest first", {"q": f"{person} договор",
                                                 "sort": "created_at"}),
        ("fulltext", "selective body/number", {"q": str(number)}),
        ("fulltext", "inflected (договоры поставок)", {"q": "договоры поставок"}),
        ("fulltext", "common term, top 20", {"q": "договор", "limit": 20}),
        ("facets", "common term + facets", {"q": "договор", "limit": 20, "facets": "true"}),
        ("fulltext", "body-only common word", {"q": "бетономешалки", "limit": 20}),
        ("fulltext", "English term", {"q": "invoices", "limit": 20}),
        ("facets", "English term + facets", {"q": "invoices", "limit": 20, "facets": "true"}),
        ("fulltext", "phrase", {"q": '"договор поставки"', "limit": 20}),
        ("fulltext", "exclusion", {"q": "договор -поставки", "limit": 20}),
        ("filter", "content type", {"content_type": "application/pdf", "limit": 20}),
        ("facets", "content type + facets", {"content_type": "application/pdf",
                                              "facets": "true"}),
        ("facets", "browse + facets", {"facets": "true", "limit": 20}),
        ("partial", "name", {"q": f"_{number}", "mode": "partial"}),
        ("partial", "name with typo", {"q": person[:-1] + "й", "mode": "partial"}),
    ]


async def measure(url: str, headers: dict, sample: dict, repeat: int) -> list[dict]:
    out = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        for kind, label, params in cases(sample):
            # One untimed request first: a fresh process opens its pool's connections and each
            # new backend loads its catalog caches; a running service has done that long ago.
            (await client.get("/api/v1/search", params=params)).raise_for_status()
            times = []
            body = {}
            for _ in range(repeat):
                started = time.perf_counter()
                response = await client.get("/api/v1/search", params=params)
                times.append(time.perf_counter() - started)
                response.raise_for_status()
                body = response.json()
            out.append({"kind": kind, "label": label, "p50_ms": pct(times, 0.5),
                        "p95_ms": pct(times, 0.95), "total": body["total"],
                        "total_exact": body.get("total_exact", True)})
    return out


def corpus_db(docs: int) -> str:
    return f"bench_search_corpus_{docs}_v{CORPUS_VERSION}"


async def cached_corpus(pg_dsn: str, docs: int) -> str | None:
    """The cached corpus's name when a complete one exists; else drops any stale or
    half-built one of this size (an interrupted build, an older CORPUS_VERSION)."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        names = [r["datname"] for r in await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1",
            f"bench_search_corpus_{docs}_v%")]
    finally:
        await conn.close()
    if corpus_db(docs) in names:
        conn = await asyncpg.connect(f"{pg_dsn.rsplit('/', 1)[0]}/{corpus_db(docs)}")
        try:
            if await conn.fetchval("SELECT to_regclass('bench_complete') IS NOT NULL"):
                return corpus_db(docs)
        finally:
            await conn.close()
    await drop_dbs(pg_dsn, names)
    return None


async def run(docs: int, repeat: int, state_dir: str, keep: bool = False,
              reuse: str | None = None, cached: bool = False) -> dict:
    """{"docs", "db", "load_seconds", "built", "cases": [{kind, label, p50_ms, p95_ms, total,
    total_exact}]}; ``cached``: time the kept corpus of this size, building it if missing."""
    env = load_stack().start(["postgres", "redis"], state_dir, fast=True)
    if cached:
        reuse = await cached_corpus(env["PG_DSN"], docs)
        keep = True
    db = reuse or (corpus_db(docs) if cached else f"bench_search_{docs}_{uuid.uuid4().hex[:6]}")
    base = env["PG_DSN"].rsplit("/", 1)[0]
    db_url = (f"postgresql+asyncpg://{base.split('://', 1)[1]}/{db}" if reuse
              else await create_db(env["PG_DSN"], db))
    tokens = TokenFactory()
    tmp = work_dir("search-")
    (tmp / "jwt.pem").write_bytes(tokens.public_pem)
    proc = ServiceProcess("query_module.main:create_app", {
        "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING", "DATABASE_URL": db_url,
        "REDIS_URL": env["REDIS_URL"], "JWT_PUBLIC_KEY_FILE": str(tmp / "jwt.pem"),
        "CONSUMER_ENABLED": "false", "TEXT_EXTRACTION_ENABLED": "false",
        "FILE_EVENTS_STREAM": f"bench:{uuid.uuid4().hex[:8]}",
        "DISCOVERY_FALLBACK_FILE": str(tmp / "discovery.json"),
    }, log_path=str(tmp / "query.log"), name="query")
    proc.start(3600 if reuse else 120)  # migrates the database (a kept one may need to catch up)
    try:
        started = time.perf_counter()
        if reuse:
            conn = await asyncpg.connect(f"{base}/{db}")
            sample = dict(await conn.fetchrow("SELECT person, number FROM bench_sample"))
            docs = await conn.fetchval("SELECT count(*) FROM catalog_files")
            await conn.close()
        else:
            sample = await load(f"{base}/{db}", docs)
        loaded = time.perf_counter() - started
        return {"docs": docs, "db": db, "load_seconds": loaded, "built": not reuse,
                "cases": await measure(proc.url, tokens.headers("READONLY", ttl=7200), sample,
                                       repeat)}
    finally:
        proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        if not keep and not reuse:
            await drop_dbs(env["PG_DSN"], [db])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", metavar="DB", help="time a database kept by --keep")
    parser.add_argument("--cached", action="store_true",
                        help="time the cached corpus of this size (built once, then kept)")
    parser.add_argument("--state-dir", default=str(ROOT / ".artstore" / "test-stack"))
    args = parser.parse_args()
    print(f"search over {args.docs} documents with body text (load: COPY + trigger)")
    result = await run(args.docs, args.repeat, args.state_dir, args.keep, args.reuse,
                       args.cached)
    print(f"  database {result['db']}, {result['docs']} documents")
    if result["built"]:
        print(f"  load + ANALYZE {result['load_seconds']:.0f} s")
    print(f"  {'search':44s} {'p50 ms':>8s} {'p95 ms':>8s}  total")
    for case in result["cases"]:
        total = f"{case['total']}{'' if case['total_exact'] else '+'}"
        print(f"  {case['kind'] + ': ' + case['label']:44s} {case['p50_ms']:8.1f} "
              f"{case['p95_ms']:8.1f}  {total}")


if __name__ == "__main__":
    asyncio.run(main())
