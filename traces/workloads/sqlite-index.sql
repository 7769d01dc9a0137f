-- The sqlite-index trace's workload (tools/malloc-tracer/record-traces.sh): an in-memory database
-- filled with 200 000 rows by a recursive query, indexed, then grouped, sorted and self-joined.
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, tag TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
INSERT INTO t SELECT x, 'name' || x || hex(randomblob(8)), x * 1.5, 'tag' || (x % 97) FROM c;
CREATE INDEX ti ON t(tag, v);
SELECT tag, count(*), avg(v), group_concat(substr(name, 1, 6)) FROM t GROUP BY tag ORDER BY 2 DESC LIMIT 5;
SELECT count(*) FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.tag = 'tag3';
