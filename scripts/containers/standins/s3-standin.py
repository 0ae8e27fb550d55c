"""moto's S3 server standing in for MinIO (`server /data ...` arguments are accepted and only
/data is used). moto keeps objects in memory, so this writes them to /data on SIGTERM and loads
them on start: a `docker compose down` / `up` keeps the bucket like MinIO would."""

import json
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

DATA = Path("/data/standin-s3")
server = ThreadedMotoServer(ip_address="0.0.0.0", port=9000, verbose=False)
server.start()
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", aws_access_key_id="standin",
                  aws_secret_access_key="standin", region_name="us-east-1")


def load() -> int:
    count = 0
    for bucket_dir in sorted(DATA.glob("*")) if DATA.is_dir() else []:
        s3.create_bucket(Bucket=bucket_dir.name)
        for meta_file in bucket_dir.glob("*.json"):
            meta = json.loads(meta_file.read_text())
            s3.put_object(Bucket=bucket_dir.name, Key=meta["key"],
                          Body=meta_file.with_suffix(".bin").read_bytes(),
                          Metadata=meta["metadata"], ContentType=meta["content_type"])
            count += 1
    return count


def dump() -> int:
    staging = DATA.with_name(DATA.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    count = 0
    for bucket in s3.list_buckets()["Buckets"]:
        target = staging / bucket["Name"]
        target.mkdir(parents=True)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for item in page.get("Contents", []):
                obj = s3.get_object(Bucket=bucket["Name"], Key=item["Key"])
                (target / f"{count}.bin").write_bytes(obj["Body"].read())
                (target / f"{count}.json").write_text(json.dumps({
                    "key": item["Key"], "metadata": obj.get("Metadata", {}),
                    "content_type": obj.get("ContentType", "binary/octet-stream")}))
                count += 1
    shutil.rmtree(DATA, ignore_errors=True)
    staging.rename(DATA)
    return count


print(f"s3 stand-in: listening on :9000, {load()} objects loaded", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
stop.wait()
print(f"s3 stand-in: {dump()} objects written to {DATA}", flush=True)
server.stop()
sys.stdout.flush()
os._exit(0)
