"""body snippets from a window of a long text (issue 12)

ts_headline parses and stems all of its input: a 110 KB text took ~36 ms per hit, so a page
of 50 long documents took seconds. `catalog_body_headline` headlines a text longer than
2,000 characters in a 2,000-character window from 300 characters before the first word that
may match (`pattern`, a case-insensitive regex of the highlight stems' prefixes built by the
query module; NULL when the body's lexemes hold none of them, so a metadata-only match costs
no scan), cut to whole words. If nothing in the window gets marked (the prefixes are
wider than the stems), it headlines the whole scanned text as before. The text is
HTML-escaped after cutting, so a window never splits an entity.

Revision ID: 0008_body_headline
Revises: 0007_legal_hold_index
"""

from __future__ import annotations

from alembic import op

revision = "0008_body_headline"
down_revision = "0007_legal_hold_index"
branch_labels = None
depends_on = None

ESCAPED = "replace(replace(replace({}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
# `content` is sliced with substr, never read whole: PostgreSQL then de-TOASTs (and
# decompresses) only the prefix it needs, and octet_length reads the stored size.
FUNCTION = r"""
CREATE OR REPLACE FUNCTION catalog_body_headline(content text, q tsquery, pattern text,
                                                 options text, scan_chars int)
RETURNS text LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
DECLARE
    found int := 0;
    start int;
    part text;
    marked text;
BEGIN
    IF content IS NULL THEN
        RETURN NULL;
    END IF;
    IF octet_length(content) <= 2000 THEN
        RETURN ts_headline('russian', {content}, q, options);
    END IF;
    IF pattern IS NOT NULL THEN
        -- A regex converts all of its input first (~6 ms for 100 KB): try the start alone.
        found := regexp_instr(substr(content, 1, 8000), pattern, 1, 1, 0, 'i');
        IF found = 0 THEN
            found := regexp_instr(substr(content, 1, scan_chars), pattern, 1, 1, 0, 'i');
        END IF;
    END IF;
    start := greatest(found - 300, 1);
    part := substr(content, start, 2001);
    IF length(part) > 2000 THEN
        part := regexp_replace(left(part, 2000), '\s+\S*$', '');
    END IF;
    IF start > 1 THEN
        part := regexp_replace(part, '^\S*\s+', '');
    END IF;
    marked := ts_headline('russian', {part}, q, options);
    IF found > 0 AND strpos(marked, '<mark>') = 0 THEN
        marked := ts_headline('russian', {scanned}, q, options);
    END IF;
    RETURN marked;
END
$fn$
""".format(content=ESCAPED.format("content"), part=ESCAPED.format("part"),
           scanned=ESCAPED.format("substr(content, 1, scan_chars)"))


def upgrade() -> None:
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS catalog_body_headline(text, tsquery, text, text, int)")
