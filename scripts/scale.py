#!/usr/bin/env python3
"""Sizes the chat backend on AWS from the per-message request counts this project measures
(functions/send/tests/aws_requests.rs, docs/data-model.md) and AWS's default quotas and
public prices (us-east-1). Prints the tables of docs/scale.md:

    python3 scripts/scale.py            # the four steps of docs/scale.md
    python3 scripts/scale.py --users 5e6 --messages-per-day 60

Everything it assumes is a named constant below; change them for your traffic.
"""

import argparse
import math

# --- measured per operation (docs/data-model.md, aws_requests.rs) -------------------------
# A 1:1 send: one transaction of 5 items <= 1 KB (idempotency record, and per participant
# inbox entry and conversation summary), billed double = 10 WRU; the two entries' index
# entries (byConversation, byMsgId) = 4 WRU; a summary that comes to the top of its owner's
# list moves in the activity index (delete + put = 2 WRU), which a back-and-forth never does.
TOP_MOVES = 0.3            # share of (send, participant) pairs where the conversation moves up
WRU_PER_1TO1 = 10 + 4 + 2 * 2 * TOP_MOVES
RRU_PER_1TO1 = 8           # 4 keys (idempotency, ban, 2 blocks) + 2 latest-entry queries + 2 connection queries
WRU_PER_GROUP_MEMBER = 4 + 2 + 2 * TOP_MOVES  # entry + summary (x2), 2 index entries, moves
RRU_PER_GROUP_MEMBER = 1.5 # latest-entry query + connection query per member
POSTS_PER_1TO1 = 2         # ack + one delivery (one device each)
SEND_MS = 25               # billed Lambda duration of a send (256 MB, arm64)
CONNECT_REQUESTS = 2       # $connect: BatchGetItem + TransactWriteItems (connection cap)
INBOUND_PER_SEND = 2       # frames clients send per message: the send, and about one receipt or read

# --- the stack's own settings (infra/cdk/lib/config.ts) -------------------------------------
STAGE_THROTTLE_RATE = 500            # chat:throttleRate: route requests/s the stage admits
STAGE_THROTTLE_BURST = 1_000         # chat:throttleBurst

# --- AWS defaults (per account and region; all but the partition limits adjustable) -------
APIGW_NEW_CONNECTIONS_PER_S = 500
APIGW_ACCOUNT_RPS = 10_000           # account-level throttle, shared by REST/HTTP/WebSocket
LAMBDA_CONCURRENCY = 1_000
LAMBDA_SCALE_PER_10S = 1_000         # new execution environments per function per 10 s
DDB_TABLE_ON_DEMAND = 40_000         # read and write request units per second per table
DDB_PARTITION_WCU = 1_000            # per partition key, not adjustable
SNS_PUBLISH_TPS = 30_000             # us-east-1 Publish quota; lower in other regions

# --- prices, us-east-1 -----------------------------------------------------------------------
PRICE_APIGW_MESSAGE = 1.00 / 1e6
PRICE_APIGW_CONNECTION_MINUTE = 0.25 / 1e6
PRICE_LAMBDA_REQUEST = 0.20 / 1e6
PRICE_LAMBDA_GB_S = 0.0000133334
PRICE_WRU = 0.625 / 1e6
PRICE_RRU = 0.125 / 1e6
PRICE_SNS_MOBILE = 0.50 / 1e6
PRICE_STORAGE_GB_MONTH = 0.25 + 0.20  # table storage + point-in-time recovery

STEPS = [10_000, 1_000_000, 100_000_000, 1_000_000_000]


def size(users, daily_active=0.5, messages_per_day=40, group_share=0.2, group_size=10,
         online_share=0.1, peak_factor=3.0, offline_recipient_share=0.3):
    """One row: the load, what it needs from AWS, and what it costs per month."""
    dau = users * daily_active
    sends_per_s = dau * messages_per_day / 86_400
    peak_sends = sends_per_s * peak_factor
    one_to_one = 1 - group_share
    wru_per_msg = one_to_one * WRU_PER_1TO1 + group_share * WRU_PER_GROUP_MEMBER * group_size
    rru_per_msg = one_to_one * RRU_PER_1TO1 + group_share * RRU_PER_GROUP_MEMBER * group_size
    posts_per_msg = one_to_one * POSTS_PER_1TO1 + group_share * group_size
    concurrent = users * online_share
    # A socket lives at most 2 hours: every online user reconnects at least that often.
    new_conns_per_s = concurrent / 7_200 * peak_factor
    apigw_per_s = peak_sends * (1 + posts_per_msg)
    # What the stage throttle sees: the frames clients send (not the posts back), at the peak.
    inbound_per_s = peak_sends * INBOUND_PER_SEND
    lambda_concurrency = peak_sends * SEND_MS / 1000 + new_conns_per_s * 2 * 0.01
    month_msgs = sends_per_s * 86_400 * 30
    cost = (
        month_msgs * (1 + posts_per_msg) * PRICE_APIGW_MESSAGE
        + concurrent * 60 * 24 * 30 * PRICE_APIGW_CONNECTION_MINUTE
        + month_msgs * PRICE_LAMBDA_REQUEST
        + month_msgs * 0.256 * SEND_MS / 1000 * PRICE_LAMBDA_GB_S
        + month_msgs * wru_per_msg * PRICE_WRU
        + month_msgs * rru_per_msg * PRICE_RRU
        + month_msgs * offline_recipient_share * (one_to_one + group_share * group_size) * PRICE_SNS_MOBILE
        + month_msgs * (one_to_one * 2 + group_share * group_size) * 0.5e-6 * PRICE_STORAGE_GB_MONTH
    )
    return {
        "users": users,
        "peak_sends": peak_sends,
        "concurrent": concurrent,
        "new_conns": new_conns_per_s,
        "apigw": apigw_per_s,
        "inbound": inbound_per_s,
        "lambda": lambda_concurrency,
        "wru": peak_sends * wru_per_msg,
        "rru": peak_sends * rru_per_msg,
        "sns": peak_sends * offline_recipient_share * (one_to_one + group_share * group_size),
        "cost": cost,
    }


def ask(value, default):
    """What to request from AWS: nothing while under the default quota."""
    return "default" if value <= default else f"{math.ceil(value / default)}x default"


def stage_throttle(inbound):
    """The chat:throttleRate / chat:throttleBurst to set: the default while the peak's frames
    fit in it with half again to spare, else that peak plus half, rounded up to 100."""
    needed = inbound * 1.5
    if needed <= STAGE_THROTTLE_RATE:
        return "default (500/1,000)"
    rate = math.ceil(needed / 100) * 100
    return f"{rate:,}/{2 * rate:,}"


def human(n):
    for unit, div in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return f"{n:.0f}"


def check_stack_defaults():
    """The stage throttle assumed here must be the one the CDK stack sets by default."""
    import os
    import re
    config = os.path.join(os.path.dirname(__file__), "..", "infra", "cdk", "lib", "config.ts")
    text = open(config, encoding="utf-8").read()
    rate = re.search(r"'chat:throttleRate',\s*(\d+)", text)
    burst = re.search(r"'chat:throttleBurst',\s*(\d+)", text)
    if not rate or not burst or (int(rate[1]), int(burst[1])) != (STAGE_THROTTLE_RATE, STAGE_THROTTLE_BURST):
        raise SystemExit(f"scripts/scale.py assumes a stage throttle of {STAGE_THROTTLE_RATE}/{STAGE_THROTTLE_BURST}, "
                         f"but infra/cdk/lib/config.ts sets {rate and rate[1]}/{burst and burst[1]}: update one")


def main():
    check_stack_defaults()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=float, action="append", help="registered users (repeatable)")
    p.add_argument("--messages-per-day", type=float, default=40, help="sends per daily active user")
    p.add_argument("--daily-active", type=float, default=0.5)
    p.add_argument("--online", type=float, default=0.1, help="share of users connected at peak")
    p.add_argument("--group-share", type=float, default=0.2)
    p.add_argument("--group-size", type=float, default=10)
    a = p.parse_args()
    rows = [size(int(u), a.daily_active, a.messages_per_day, a.group_share, a.group_size, a.online)
            for u in (a.users or STEPS)]
    print("| users | peak sends/s | concurrent connections | new connections/s | API Gateway msgs/s "
          "| Lambda concurrency | DynamoDB WRU/s | RRU/s | SNS publishes/s | cost per month |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {human(r['users'])} | {human(r['peak_sends'])} | {human(r['concurrent'])} | {human(r['new_conns'])} "
              f"| {human(r['apigw'])} | {human(r['lambda'])} | {human(r['wru'])} | {human(r['rru'])} "
              f"| {human(r['sns'])} | ${human(r['cost'])} |")
    print()
    print("| users | new connections/s | API Gateway account throttle | stage throttle (chat:throttleRate/Burst) "
          "| Lambda concurrency | DynamoDB table throughput (messages and state) | SNS Publish |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {human(r['users'])} | {ask(r['new_conns'], APIGW_NEW_CONNECTIONS_PER_S)} "
              f"| {ask(r['apigw'], APIGW_ACCOUNT_RPS)} | {stage_throttle(r['inbound'])} "
              f"| {ask(r['lambda'], LAMBDA_CONCURRENCY)} "
              f"| {ask(r['wru'] / 2, DDB_TABLE_ON_DEMAND)} | {ask(r['sns'], SNS_PUBLISH_TPS)} |")
    for r in rows:
        if r["inbound"] > STAGE_THROTTLE_RATE:
            print(f"\nAt {human(r['users'])} users the peak's {human(r['inbound'])} frames/s are over the stage "
                  f"throttle's default {STAGE_THROTTLE_RATE}/s: clients get 429s unless chat:throttleRate is raised.")
            break
    hot = DDB_PARTITION_WCU / 4
    print(f"\nEvery message a user receives writes an entry in that user's inbox partition in a transaction, "
          f"with its two index entries (4 WCU for an item under 1 KB); one partition key takes "
          f"{DDB_PARTITION_WCU} WCU/s, so one user's inbox takes at most about {hot:.0f} messages/s, fewer when "
          f"writers conflict and retry.")


if __name__ == "__main__":
    main()
