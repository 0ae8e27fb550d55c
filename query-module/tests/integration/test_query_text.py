"""Document text end to end: files stored on a real storage-element process, the catalog fed by
its real outbox, the query module's text indexer extracting them in sandboxed children (OCR by
Tesseract), and search finding them by words that only their bodies contain."""

from __future__ import annotations

import asyncio
import io
import zipfile

import pytest
from document_samples import docx, scan_pdf, text_pdf

from query_module.config import Settings

pytestmark = pytest.mark.e2e

LETTER = [
    "Уважаемый Иван Петрович!",
    "Сообщаем, что поставка оборудования задерживается",
    "из-за ошибок в накладных. Просим согласовать",
    "новый график отгрузок до конца квартала.",
    "С уважением, директор Смирнова",
]
ACT = [
    "Акт сверки взаиморасчётов",
    "между ООО «Ромашка» и ООО «Василёк» по договорам аренды складских помещений.",
    "Задолженность по счетам-фактурам погашена полностью.",
]


@pytest.fixture()
def query_settings(se_query_settings) -> Settings:
    return se_query_settings.model_copy(update={
        "TEXT_POLL_SECONDS": 0.2,
        "TEXT_CONCURRENCY": 2,
        "TEXT_TIMEOUT_SECONDS": 60.0,
        "TEXT_MEMORY_MB": 768,
    })


@pytest.fixture()
async def with_se(harness, builders, edit_se):
    await harness.set_discovery(builders.se("edit", api_url=edit_se.url, id=edit_se.id))
    return harness


async def extracted(harness, file_id) -> dict:
    """Consume events until the file's text extraction has finished (any final state)."""
    meta = await harness.wait_for_file(file_id)
    for _ in range(1200):
        await harness.drain()
        meta = (await harness.client.get(f"/api/v1/files/{file_id}",
                                         headers=harness.headers())).json()
        if meta["text_extraction"]["state"] != "pending":
            return meta
        await asyncio.sleep(0.1)
    raise AssertionError(f"text of {file_id} never extracted: {meta['text_extraction']}")


async def hits(harness, q: str) -> dict[str, dict]:
    response = await harness.search(q=q, limit=50)
    assert response.status_code == 200, response.text
    return {h["file_id"]: h for h in response.json()["items"]}


class TestDocumentText:
    async def test_scanned_letter_and_docx_found_by_body_words_in_other_forms(
            self, with_se, edit_se):
        harness = with_se
        scan = edit_se.upload(scan_pdf(LETTER), original_filename="scan_0001.pdf",
                              content_type="application/pdf")
        act = edit_se.upload(docx(ACT), original_filename="document.docx",
                             content_type="application/vnd.openxmlformats-officedocument."
                                          "wordprocessingml.document")
        scan_meta = await extracted(harness, scan["file_id"])
        act_meta = await extracted(harness, act["file_id"])
        assert scan_meta["text_extraction"] == {"state": "done", "reason": None}
        assert act_meta["text_extraction"] == {"state": "done", "reason": None}

        # Other grammatical forms than in the bodies: ошибок→ошибка, накладных→накладной,
        # отгрузок→отгрузки (fleeting vowel), договорам аренды→договор аренда.
        found = await hits(harness, "ошибка в накладной")
        assert scan["file_id"] in found and act["file_id"] not in found
        snippet = found[scan["file_id"]]["snippet"]
        assert "<mark>ошибок</mark>" in snippet and "<mark>накладных</mark>" in snippet
        assert scan["file_id"] in await hits(harness, "график отгрузки")

        found = await hits(harness, "договор аренды складского помещения")
        assert act["file_id"] in found and scan["file_id"] not in found
        snippet = found[act["file_id"]]["snippet"]
        assert "<mark>договорам</mark>" in snippet and "<mark>аренды</mark>" in snippet
        # HTML-escaped apart from the marks; «ё» found by «е»; compounds by their parts.
        assert "&lt;" not in snippet and "<" not in snippet.replace("<mark>", "").replace(
            "</mark>", "")
        assert act["file_id"] in await hits(harness, "василек")
        assert act["file_id"] in await hits(harness, "счёт-фактура")
        assert act["file_id"] in await hits(harness, "фактуры")
        # Exclusion and phrases.
        assert act["file_id"] not in await hits(harness, "аренда -ромашка")
        assert act["file_id"] in await hits(harness, '"складских помещений"')
        assert act["file_id"] not in await hits(harness, '"помещений складских"')

    async def test_metadata_match_ranks_above_body_match(self, with_se, edit_se):
        harness = with_se
        in_body = edit_se.upload(docx(["Протокол разногласий к договору лизинга"]),
                                 original_filename="scan.docx")
        in_name = edit_se.upload(b"-", original_filename="Протокол разногласий.bin",
                                 content_type="application/octet-stream")
        await extracted(harness, in_body["file_id"])
        await extracted(harness, in_name["file_id"])
        response = await harness.search(q="протоколы разногласий", limit=10)
        order = [h["file_id"] for h in response.json()["items"]]
        assert order.index(in_name["file_id"]) < order.index(in_body["file_id"])

    async def test_formats_and_encodings(self, with_se, edit_se):
        harness = with_se
        files = {
            "pdf": (text_pdf(["Техническое задание на модернизацию котельной"]), "tz.pdf",
                    "application/pdf", "модернизации котельных"),
            "cp1251": ("Уведомление о расторжении соглашения".encode("cp1251"), "a.txt",
                       "text/plain", "расторжение соглашений"),
            "koi8": ("Претензия о просрочке платежей".encode("koi8_r"), "b.txt", "text/plain",
                     "просрочка платежа"),
            "png": (scan_pdf(["Quarterly shipment invoices were signed"], fmt="PNG"),
                    "photo.png", "image/png", "invoice signing"),
            "html": ("<html><body><p>Служебная записка о командировках</p><script>"
                     "var secret='скрипт'</script></body></html>".encode(), "memo.html",
                     "text/html", "командировка"),
        }
        uploaded = {key: edit_se.upload(body, original_filename=name, content_type=ctype)
                    for key, (body, name, ctype, _) in files.items()}
        for key, record in uploaded.items():
            meta = await extracted(harness, record["file_id"])
            assert meta["text_extraction"]["state"] == "done", (key, meta["text_extraction"])
        for key, (_, _, _, query) in files.items():
            assert uploaded[key]["file_id"] in await hits(harness, query), key

    async def test_unsupported_and_hostile_files_get_a_reason_and_do_not_stall(
            self, with_se, edit_se):
        harness = with_se
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("a.bin", b"\0" * 1000)
        unsupported = edit_se.upload(archive.getvalue(), original_filename="backup.zip",
                                     content_type="application/zip")
        broken = edit_se.upload(b"%PDF-1.7\n garbage that is no PDF", original_filename="x.pdf",
                                content_type="application/pdf")
        # A decompression bomb: a tiny PNG of 30000x30000 pixels, far beyond the memory limit.
        from PIL import Image

        bomb_img = io.BytesIO()
        Image.new("1", (30000, 30000), 1).save(bomb_img, format="PNG")
        bomb = edit_se.upload(bomb_img.getvalue(), original_filename="bomb.png",
                              content_type="image/png")
        after = edit_se.upload(docx(["Доверенность на получение груза"]),
                               original_filename="d.docx")

        meta = await extracted(harness, unsupported["file_id"])
        assert meta["text_extraction"]["state"] == "skipped"
        assert "application/zip" in meta["text_extraction"]["reason"]
        meta = await extracted(harness, broken["file_id"])
        assert meta["text_extraction"]["state"] == "failed" and meta["text_extraction"]["reason"]
        meta = await extracted(harness, bomb["file_id"])
        assert meta["text_extraction"]["state"] == "failed", meta["text_extraction"]
        meta = await extracted(harness, after["file_id"])
        assert meta["text_extraction"]["state"] == "done"
        assert after["file_id"] in await hits(harness, "доверенности на получение грузов")

        metrics = (await harness.client.get("/metrics")).text
        for state in ("done", "failed", "skipped"):
            assert f'artstore_query_text_extractions_total{{state="{state}"}}' in metrics
        assert "artstore_query_text_pending" in metrics

    async def test_reindex_regenerates_text(self, with_se, edit_se):
        harness = with_se
        record = edit_se.upload(docx(["Приказ об утверждении штатного расписания"]),
                                original_filename="p.docx")
        await extracted(harness, record["file_id"])
        admin = harness.headers("ADMIN")
        assert (await harness.client.post("/api/v1/admin/reindex",
                                          headers=admin)).status_code == 202
        await harness.app.state.reindexer.wait()
        meta = await extracted(harness, record["file_id"])
        assert meta["text_extraction"]["state"] == "done"
        assert record["file_id"] in await hits(harness, "штатные расписания")
