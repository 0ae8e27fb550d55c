#!/opt/moto/bin/python
"""Stand-in for MinIO's `mc`: just `alias set`, `mb [--ignore-existing]` and `ready`."""

import json
import sys
import urllib.request
from pathlib import Path

import boto3

ALIASES = Path("/tmp/mc-aliases.json")


def client(alias: str):
    url, user, password = json.loads(ALIASES.read_text())[alias]
    return boto3.client("s3", endpoint_url=url, aws_access_key_id=user,
                        aws_secret_access_key=password, region_name="us-east-1")


def main(args: list[str]) -> int:
    if args[:2] == ["alias", "set"]:
        name, url, user, password = args[2:6]
        known = json.loads(ALIASES.read_text()) if ALIASES.exists() else {}
        ALIASES.write_text(json.dumps({**known, name: [url, user, password]}))
        return 0
    if args[:1] == ["mb"]:
        ignore = "--ignore-existing" in args
        alias, _, bucket = [a for a in args[1:] if not a.startswith("--")][0].partition("/")
        s3 = client(alias)
        if ignore and bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            return 0
        s3.create_bucket(Bucket=bucket)
        print(f"Bucket created successfully `{alias}/{bucket}`.")
        return 0
    if args[:1] == ["ready"]:
        with urllib.request.urlopen("http://127.0.0.1:9000/", timeout=3) as response:
            return 0 if response.status == 200 else 1
    print(f"mc stand-in: unsupported command {args}", file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
