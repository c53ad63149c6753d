#!/usr/bin/python3
"""An h2c server (python3-h2) that misbehaves on demand, for the generator's accounting tests:
what nginx and h2o do not do when asked. Prints its port on the first line of stdout, then
serves until killed. One thread per connection.

  h2_fault_server.py MODE [N] [--window BYTES] [--max-streams M]

MODE:
  ok            answers every request 200 "ok" (and echoes a request body's length)
  refuse N      refuses every Nth stream (1st, N+1th ... of each connection) with REFUSED_STREAM
  reset N       resets every Nth stream with INTERNAL_ERROR
  goaway N      answers N streams per connection, then GOAWAY(last = the Nth) and closes
                after 100 ms: every stream above it was not processed
  drop N        answers N streams per connection, then closes with the rest open
--window: SETTINGS_INITIAL_WINDOW_SIZE it announces (request bodies then wait for windows).
"""
import socket
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.errors
import h2.settings


def serve(sock, mode, n, window, max_streams):
    cfg = h2.config.H2Configuration(client_side=False, header_encoding=None)
    conn = h2.connection.H2Connection(config=cfg)
    conn.initiate_connection()
    # In force once the client ACKs them: what it sent before then had the default window.
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window,
                          h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: max_streams})
    sock.sendall(conn.data_to_send())
    seen = 0        # streams whose request ended, in order
    answered = 0
    last_answered = 0
    bodies = {}
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.DataReceived):
                    bodies[ev.stream_id] = bodies.get(ev.stream_id, 0) + len(ev.data)
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    sid = ev.stream_id
                    seen += 1
                    if mode in ("goaway", "drop") and answered >= n:
                        continue
                    if mode == "refuse" and (seen - 1) % n == 0:
                        conn.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
                        continue
                    if mode == "reset" and (seen - 1) % n == 0:
                        conn.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
                        continue
                    body = b"ok %d\n" % bodies.pop(sid, 0)
                    conn.send_headers(sid, [(b":status", b"200"), (b"content-length", b"%d" % len(body))])
                    conn.send_data(sid, body, end_stream=True)
                    answered += 1
                    last_answered = max(last_answered, sid)
                    if mode == "goaway" and answered == n:
                        conn.close_connection(last_stream_id=last_answered)
                        sock.sendall(conn.data_to_send())
                        time.sleep(0.1)
                        return
                    if mode == "drop" and answered == n:
                        sock.sendall(conn.data_to_send())
                        time.sleep(0.05)
                        return
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
    except (OSError, h2.exceptions.ProtocolError):
        return
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    args = sys.argv[1:]
    window, max_streams = 65535, 100
    if "--window" in args:
        i = args.index("--window")
        window = int(args[i + 1])
        del args[i:i + 2]
    if "--max-streams" in args:
        i = args.index("--max-streams")
        max_streams = int(args[i + 1])
        del args[i:i + 2]
    mode = args[0]
    n = int(args[1]) if len(args) > 1 else 1
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    print(lsock.getsockname()[1], flush=True)
    while True:
        s, _ = lsock.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(s, mode, n, window, max_streams), daemon=True).start()


if __name__ == "__main__":
    main()
