"""A Socket.IO client written against Debian's python3-socketio, driven by a test.

It is how a client of the old Flask-SocketIO application talks: it connects (long-polling,
then the upgrade to websocket), and reports everything as JSON lines on stdout:
  {"kind": "connected", "transport": ...}, {"kind": "event", "event": ..., "data": ...},
  {"kind": "ack", "ref": ..., "data": ...}, {"kind": "transport", "transport": ...},
  {"kind": "disconnected"}, {"kind": "error", "message": ...}
Commands come as JSON lines on stdin:
  {"call": <event>, "data": ..., "ref": ...}   emit with an acknowledgement, report the ack
  {"emit": <event>, "data": ...}               emit without one
  {"transport": true}                          report the current transport
  {"disconnect": true}                         disconnect politely
Usage: python_client.py <base url>
"""

import json
import sys
import threading

import socketio

ACK_TIMEOUT_SECONDS = 20

out_lock = threading.Lock()


def report(**fields):
    with out_lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


sio = socketio.Client(reconnection=False)


@sio.event
def connect():
    report(kind="connected", transport=sio.transport())


@sio.event
def disconnect():
    report(kind="disconnected")


@sio.on("*")
def any_event(event, data=None):
    report(kind="event", event=event, data=data)


def run_command(command):
    if "call" in command:
        try:
            answer = sio.call(command["call"], command.get("data"), timeout=ACK_TIMEOUT_SECONDS)
        except socketio.exceptions.TimeoutError:
            report(kind="error", message="ack timeout", ref=command.get("ref"))
            return
        report(kind="ack", ref=command.get("ref"), data=answer)
    elif "emit" in command:
        sio.emit(command["emit"], command.get("data"))
    elif "transport" in command:
        report(kind="transport", transport=sio.transport())
    elif "disconnect" in command:
        sio.disconnect()


def read_commands():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            run_command(json.loads(line))
        except Exception as exc:  # reported to the test, which decides
            report(kind="error", message=repr(exc))


def main():
    url = sys.argv[1]
    try:
        sio.connect(url, wait_timeout=ACK_TIMEOUT_SECONDS)
    except socketio.exceptions.ConnectionError as exc:
        report(kind="error", message="connect failed: " + str(exc))
        return 1
    threading.Thread(target=read_commands, daemon=True).start()
    sio.wait()
    report(kind="exited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
