-- Body snippets of long texts: ts_headline over the whole scanned text (before migration 0008)
-- against catalog_body_headline (a window around the first word that may match), 50 texts of
-- ~110 000 characters each made from a search corpus's bodies. Run on a kept corpus:
--   psql -h 127.0.0.1 -p <port> -U postgres -d bench_search_corpus_100000_v1 -f bench/long_snippets.sql
-- (the port: `python3 scripts/stack.py env --state .artstore/test-stack`). Nothing is asserted.
\timing on
\set opts 'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "'
CREATE TEMP TABLE long_texts AS
    SELECT i, (SELECT string_agg(content, ' ') FROM (SELECT content FROM catalog_texts
                                                     OFFSET i * 200 LIMIT 170) s) AS content
    FROM generate_series(0, 49) i;
SELECT count(*) AS texts, round(avg(length(content))) AS avg_chars FROM long_texts;
\echo 'a word near the start: whole text, then window'
SELECT sum(length(ts_headline('russian', left(content, 100000), to_tsquery('simple', 'договор'), :'opts'))) FROM long_texts;
SELECT sum(length(catalog_body_headline(content, to_tsquery('simple', 'договор'), '\m(?:договор)', :'opts', 100000))) FROM long_texts;
\echo 'a word absent from the body (a metadata match): whole text, then window (no scan)'
SELECT sum(length(ts_headline('russian', left(content, 100000), to_tsquery('simple', 'zzzz'), :'opts'))) FROM long_texts;
SELECT sum(length(catalog_body_headline(content, to_tsquery('simple', 'zzzz'), NULL, :'opts', 100000))) FROM long_texts;
\echo 'a prefix that finds nothing in the first 8 000 characters: the regex reads all 100 000'
SELECT sum(length(catalog_body_headline(content, to_tsquery('simple', 'zzzz'), '\m(?:zzzz)', :'opts', 100000))) FROM long_texts;
