#!/usr/bin/env python3
"""boofuzz on the dialogue shape of issue 7 §4: login (USER, PASS), then a fuzzed EPRT.

    boofuzz_ftp.py HOST PORT CASES DBFILE

Runs at most CASES test cases (each one a new TCP session: greeting, USER, PASS, EPRT, with
every reply read), with the console logger off and no web interface, so that boofuzz is
measured at its best. Prints "cases seconds cases_per_second".
"""
import sys
import time

from boofuzz import (Delim, Group, Request, Session, Static, String, Target, TCPSocketConnection)


def main():
    host, port, cases, db = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    done = [0]

    def count(*_args, **_kwargs):
        done[0] += 1
        return True

    session = Session(
        target=Target(connection=TCPSocketConnection(host, port)),
        fuzz_loggers=[],
        web_port=None,
        db_filename=db,
        index_end=cases,
        sleep_time=0.0,
        restart_sleep_time=0,
        post_test_case_callbacks=[count],
        receive_data_after_each_request=True,
    )
    user = Request("user", children=(Static(name="u", default_value="USER anonymous\r\n"),))
    passwd = Request("pass", children=(Static(name="p", default_value="PASS boofuzz@example.org\r\n"),))
    eprt = Request(
        "eprt",
        children=(
            Static(name="cmd", default_value="EPRT "),
            Delim(name="d1", default_value="|"),
            Group(name="proto", values=["1", "2"]),
            Delim(name="d2", default_value="|"),
            String(name="addr", default_value="127.0.0.1"),
            Delim(name="d3", default_value="|"),
            String(name="port", default_value="40000"),
            Delim(name="d4", default_value="|"),
            Static(name="crlf", default_value="\r\n"),
        ),
    )
    session.connect(user)
    session.connect(user, passwd)
    session.connect(passwd, eprt)
    start = time.monotonic()
    session.fuzz()
    elapsed = time.monotonic() - start
    print(f"{done[0]} {elapsed:.3f} {done[0] / elapsed:.1f}")


if __name__ == "__main__":
    main()
