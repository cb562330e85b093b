#!/usr/bin/env python3
"""Run shardwise as a SageMaker Processing job on N instances.

Every instance runs the same container and the same pipeline file. shardwise reads
its rank from /opt/ml/config/resourceconfig.json, takes its slice of the manifest,
and writes token files straight to S3. On failure the first KiB of the error is
the job's ExitMessage. See README.md beside this file for the image, the IAM role
and the S3 layout.

    pip install "sagemaker>=2.200,<3"
    python launch_processing.py \
        --image-uri 123456789012.dkr.ecr.us-east-1.amazonaws.com/shardwise:latest \
        --role arn:aws:iam::123456789012:role/shardwise-processing \
        --manifest s3://my-bucket/cc/CC-MAIN-2024-22/wet.paths.gz \
        --tokenizer s3://my-bucket/tokenizers/llama3/tokenizer.json \
        --output s3://my-bucket/datasets/cc-main-2024-22-en/ \
        --instance-count 16
"""

import argparse

from sagemaker.processing import ProcessingInput, Processor
from sagemaker.session import Session

# Where cc.toml expects its small inputs (must be under /opt/ml/processing/).
MANIFEST_DIR = "/opt/ml/processing/input/manifest"
TOKENIZER_DIR = "/opt/ml/processing/input/tokenizer"

# How SageMaker distributes an S3 input over the instances:
#
# - "FullyReplicated": every instance gets the whole input. Right for the manifest
#   and the tokenizer: every instance must read the same shard list, because
#   shardwise slices it by rank itself (deterministically, balanced by bytes) and
#   then reads its own shards straight from S3 (the s3:// store).
# - "ShardedByS3Key": SageMaker gives each instance a disjoint subset of the
#   objects under the prefix, copied to local disk (File mode). Then point
#   input.paths at the local input directory and pass
#   `--set input.presharded=true`, so every instance reads all it was given
#   instead of slicing its subset again; the last instance to finish writes the
#   dataset index. Shard file names must be unique across the job.
DISTRIBUTION = "FullyReplicated"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--image-uri", required=True, help="the shardwise image in ECR")
    p.add_argument("--role", required=True, help="IAM role ARN the job runs as")
    p.add_argument("--manifest", required=True, help="s3:// URI of wet.paths.gz")
    p.add_argument("--tokenizer", required=True, help="s3:// URI of tokenizer.json")
    p.add_argument("--output", required=True, help="s3:// prefix for the dataset")
    p.add_argument("--pipeline", default="/opt/pipelines/cc.toml", help="in the image")
    p.add_argument("--instance-count", type=int, default=4)
    p.add_argument("--instance-type", default="ml.c5.18xlarge")
    p.add_argument("--volume-gb", type=int, default=100, help="scratch disk per instance")
    p.add_argument("--max-hours", type=float, default=48)
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="extra pipeline overrides, e.g. stage[0].min_words=80",
    )
    p.add_argument("--no-wait", action="store_true", help="return once the job starts")
    args = p.parse_args()
    if not args.output.endswith("/"):
        args.output += "/"

    session = Session()
    processor = Processor(
        image_uri=args.image_uri,
        role=args.role,
        instance_count=args.instance_count,
        instance_type=args.instance_type,
        volume_size_in_gb=args.volume_gb,
        max_runtime_in_seconds=int(args.max_hours * 3600),
        base_job_name="shardwise",
        sagemaker_session=session,
        env={
            # AWS buckets are addressed virtual-hosted style; "1" is for
            # S3-compatible servers that need path style.
            "SHARDWISE_S3_PATH_STYLE": "0",
            # Attempts per S3 request; 503 SlowDown is retried with backoff.
            "SHARDWISE_S3_MAX_ATTEMPTS": "10",
            "AWS_REGION": session.boto_region_name,
            "SHARDWISE_LOG": "info",
            # A `shardwise_progress ... mb_per_s=...` line a minute, for CloudWatch.
            "SHARDWISE_PROGRESS_SECS": "60",
        },
    )
    inputs = [
        ProcessingInput(
            input_name="manifest",
            source=args.manifest,
            destination=MANIFEST_DIR,
            s3_data_distribution_type=DISTRIBUTION,
        ),
        ProcessingInput(
            input_name="tokenizer",
            source=args.tokenizer,
            destination=TOKENIZER_DIR,
            s3_data_distribution_type=DISTRIBUTION,
        ),
    ]
    manifest_name = args.manifest.rstrip("/").rsplit("/", 1)[-1]
    tokenizer_name = args.tokenizer.rstrip("/").rsplit("/", 1)[-1]
    arguments = [
        "run",
        args.pipeline,
        "--set",
        f"output.uri={args.output}",
        "--set",
        f"input.manifest={MANIFEST_DIR}/{manifest_name}",
        # stage[2] is cc.toml's tokenize stage; change it with the pipeline.
        "--set",
        f"stage[2].tokenizer={TOKENIZER_DIR}/{tokenizer_name}",
    ]
    for s in args.set:
        arguments += ["--set", s]

    # No ProcessingOutput: shardwise writes to S3 itself, committing shard by
    # shard, so a retried job skips what is done instead of uploading at the end.
    processor.run(
        inputs=inputs,
        arguments=arguments,
        wait=not args.no_wait,
        logs=not args.no_wait,
    )
    job = processor.latest_job.job_name
    print(f"job: {job}")
    print(f"dataset: {args.output} (complete when {args.output}_SUCCESS exists)")


if __name__ == "__main__":
    main()
