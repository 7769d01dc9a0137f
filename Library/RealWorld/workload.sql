-- A database workload for libswiftmm's real-program runs: deterministic data (no random()), so
-- the output is identical under every allocator; the runner compares it byte for byte.
-- 200 000 rows, two indexes, joins, grouping, window functions, JSON, updates, deletes, VACUUM,
-- and an integrity check.
PRAGMA journal_mode = WAL;
PRAGMA cache_size = -16000;
CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, price REAL, tags TEXT);
CREATE TABLE sale(id INTEGER PRIMARY KEY, item INTEGER REFERENCES item(id), qty INTEGER, day INTEGER);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO item
SELECT i, (i * 7919) % 997, printf('item-%06d-%x', i, (i * 2654435761) % 4294967296),
       ((i * 31337) % 100000) / 100.0,
       json_array('t' || (i % 13), 't' || (i % 17), i % 5)
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
INSERT INTO sale SELECT i, 1 + (i * 48271) % 200000, 1 + i % 9, i % 365 FROM n;
COMMIT;
CREATE INDEX item_grp ON item(grp, price);
CREATE INDEX sale_item ON sale(item);
SELECT 'groups', count(*), printf('%.2f', sum(total)) FROM
  (SELECT grp, sum(price) AS total FROM item GROUP BY grp);
SELECT 'top', grp, n, printf('%.2f', revenue) FROM
  (SELECT i.grp AS grp, count(*) AS n, sum(s.qty * i.price) AS revenue
   FROM sale s JOIN item i ON i.id = s.item GROUP BY i.grp ORDER BY revenue DESC LIMIT 5);
SELECT 'rank', id, name, r FROM
  (SELECT id, name, row_number() OVER (PARTITION BY grp ORDER BY price DESC, id) AS r
   FROM item WHERE grp < 3) WHERE r <= 2 ORDER BY id;
SELECT 'json', json_extract(tags, '$[0]') AS t, count(*) FROM item GROUP BY t ORDER BY t LIMIT 4;
SELECT 'like', count(*) FROM item WHERE name LIKE '%-1a%';
SELECT 'concat', length(group_concat(name, ',')) FROM (SELECT name FROM item ORDER BY name DESC LIMIT 50000);
UPDATE item SET name = upper(name) || '/' || grp WHERE id % 3 = 0;
DELETE FROM sale WHERE day > 300;
DELETE FROM item WHERE id % 7 = 0 AND id NOT IN (SELECT item FROM sale);
SELECT 'after', (SELECT count(*) FROM item), (SELECT count(*) FROM sale),
       (SELECT sum(length(name)) FROM item);
PRAGMA journal_mode = DELETE;
VACUUM;
PRAGMA integrity_check;
