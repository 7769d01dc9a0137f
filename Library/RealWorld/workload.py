# An interpreter workload for libswiftmm's real-program runs: object churn of every size that
# CPython's allocator and the malloc below it see (small objects come from pymalloc's arenas,
# which are malloc'd in 256 KiB chunks... and everything above 512 bytes goes to malloc
# directly): dicts of strings, sorting tuples, JSON round trips, regular expressions, big
# bytearrays and string joins. Prints a digest that does not depend on hash randomisation.
import json
import re
import zlib

def digest(value, text):
    return zlib.crc32(text.encode(), value)

crc = 0
words = {}
for i in range(200000):
    key = "k%07d-%s" % (i, "x" * (i % 40))
    words[key] = [i, str(i * 3), (i, i * 2)]
crc = digest(crc, str(sum(len(k) for k in words)))

records = [{"id": i, "name": "name-%d" % i, "tags": ["t%d" % (i % 7)] * (i % 5),
            "blob": "z" * (i % 700)} for i in range(60000)]
for _ in range(3):
    text = json.dumps(records)
    records = json.loads(text)
crc = digest(crc, text[-1000:])

pairs = sorted(((i * 7919) % 100003, str(i)) for i in range(300000))
crc = digest(crc, "".join(p[1] for p in pairs[:2000]))

pattern = re.compile(r"(\w+)-(\d+)")
corpus = " ".join("word%d-%d" % (i % 97, i) for i in range(150000))
matches = pattern.findall(corpus)
crc = digest(crc, str(len(matches)) + matches[-1][1])

chunks = []
for i in range(3000):
    chunk = bytearray(i * 37 % 20000 + 1)
    chunk[0] = i % 256
    chunks.append(bytes(chunk))
    if len(chunks) > 300:
        del chunks[:150]
crc = zlib.crc32(b"".join(chunks), crc)

lines = []
for i in range(100000):
    lines.append(",".join(str(j * i) for j in range(8)))
crc = digest(crc, "\n".join(lines)[-5000:])
print("python-workload digest=%08x" % crc)
