#!/usr/bin/env python3
"""An independent model of elasticsearch.keystore (formats.md section 1), used to check the Rust
codec from outside: it shares no code with it, only the written format.

Usage (JSON on stdin, JSON on stdout):
  keystore_model.py read   {"files": [{"path": ..., "password": ...}, ...]}
      -> [{"path", "version", "has_password", "entries": {name: hex value}} or {"path", "error"}]
  keystore_model.py write  {"files": [{"path", "version", "password", "entries": {name: hex}}]}
      -> writes each file; v3 entries carry the legacy type string "STRING".

Needs the `cryptography` package (AESGCM); everything else is the standard library.
"""

import hashlib
import json
import os
import struct
import sys
import zlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CODEC_MAGIC = 0x3FD76C17
FOOTER_MAGIC = 0xC02893E8
CODEC_NAME = b"elasticsearch.keystore"


def iterations(version):
    return 210000 if version >= 6 else 10000


def int_format(version):
    # Lucene 9 made DataOutput ints little-endian; format 5 is the first written with it.
    return "<i" if version >= 5 else ">i"


def derive(password, salt, version):
    return hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations(version), 16)


class Corrupt(Exception):
    pass


def read_keystore(blob, password):
    if len(blob) < 32 + 4 + 16:
        raise Corrupt("too short")
    (magic,) = struct.unpack_from(">I", blob, 0)
    if magic != CODEC_MAGIC:
        raise Corrupt("codec header mismatch")
    if blob[4] != len(CODEC_NAME) or blob[5:27] != CODEC_NAME:
        raise Corrupt("codec mismatch")
    (version,) = struct.unpack_from(">i", blob, 27)
    if not 3 <= version <= 6:
        raise Corrupt("unsupported version %d" % version)
    flag = blob[31]
    if flag not in (0, 1):
        raise Corrupt("hasPassword boolean is corrupt")
    fmt = int_format(version)
    (data_len,) = struct.unpack_from(fmt, blob, 32)
    if data_len < 0 or 36 + data_len + 16 != len(blob):
        raise Corrupt("misplaced codec footer")
    magic, algorithm, checksum = struct.unpack_from(">IiQ", blob, 36 + data_len)
    if magic != FOOTER_MAGIC or algorithm != 0:
        raise Corrupt("codec footer mismatch")
    if checksum != zlib.crc32(blob[:-8]):
        raise Corrupt("checksum failed")

    data = blob[36 : 36 + data_len]
    pos = 0
    arrays = []
    for _ in range(3):
        (n,) = struct.unpack_from(fmt, data, pos)
        pos += 4
        if n < 0 or pos + n > len(data):
            raise Corrupt("Keystore has been corrupted or tampered with")
        arrays.append(data[pos : pos + n])
        pos += n
    if pos != len(data):
        raise Corrupt("Keystore has been corrupted or tampered with")
    salt, iv, ciphertext = arrays

    key = derive(password, salt, version)
    plain = AESGCM(key).decrypt(iv, ciphertext, salt)  # raises InvalidTag on a wrong password

    # Java DataOutputStream: big-endian in every version.
    pos = 0
    (count,) = struct.unpack_from(">i", plain, pos)
    pos += 4
    entries = {}
    for _ in range(max(count, 0)):
        (n,) = struct.unpack_from(">H", plain, pos)
        name = plain[pos + 2 : pos + 2 + n].decode("ascii")
        pos += 2 + n
        if version == 3:
            (t,) = struct.unpack_from(">H", plain, pos)
            pos += 2 + t
        (n,) = struct.unpack_from(">i", plain, pos)
        pos += 4
        entries[name] = plain[pos : pos + n].hex()
        pos += n
    if pos != len(plain):
        raise Corrupt("Keystore has been corrupted or tampered with")
    return {"version": version, "has_password": flag == 1, "entries": entries}


def write_keystore(version, password, entries):
    plain = struct.pack(">i", len(entries))
    for name, value_hex in entries.items():
        raw_name = name.encode("ascii")
        plain += struct.pack(">H", len(raw_name)) + raw_name
        if version == 3:
            plain += struct.pack(">H", 6) + b"STRING"
        value = bytes.fromhex(value_hex)
        plain += struct.pack(">i", len(value)) + value
    salt = os.urandom(64)
    iv = os.urandom(12)
    ciphertext = AESGCM(derive(password, salt, version)).encrypt(iv, plain, salt)

    fmt = int_format(version)
    data = b""
    for part in (salt, iv, ciphertext):
        data += struct.pack(fmt, len(part)) + part
    blob = struct.pack(">I", CODEC_MAGIC) + bytes([len(CODEC_NAME)]) + CODEC_NAME
    blob += struct.pack(">i", version) + bytes([1 if password else 0])
    blob += struct.pack(fmt, len(data)) + data
    blob += struct.pack(">Ii", FOOTER_MAGIC, 0)
    blob += struct.pack(">Q", zlib.crc32(blob))
    return blob


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    request = json.load(sys.stdin)
    if command == "read":
        out = []
        for f in request["files"]:
            with open(f["path"], "rb") as fh:
                blob = fh.read()
            try:
                result = read_keystore(blob, f["password"])
            except InvalidTag:
                result = {"error": "wrong password (GCM tag mismatch)"}
            except (Corrupt, struct.error) as e:
                result = {"error": "corrupt: %s" % e}
            result["path"] = f["path"]
            out.append(result)
        json.dump(out, sys.stdout)
    elif command == "write":
        for f in request["files"]:
            with open(f["path"], "wb") as fh:
                fh.write(write_keystore(f["version"], f["password"], f["entries"]))
        json.dump({"written": len(request["files"])}, sys.stdout)
    else:
        sys.exit("usage: keystore_model.py read|write < request.json")


if __name__ == "__main__":
    main()
