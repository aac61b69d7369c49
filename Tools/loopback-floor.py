#!/usr/bin/env python3
"""The kernel's own cost of serving a file over loopback TCP, for scale next to the pull figures
of compare-registries.sh: a sender with no HTTP, no verification and no runtime, either
sendfile(2) (what docker-registry does, zero copies in the sender) or pread(2) into one buffer and
send(2) (what a server that reads what it sends must do at least), to a receiver in another
process that hashes what it gets with SHA-256 like stowage-bench's pull. Prints the sender's CPU
seconds per GB. On loopback the receiving TCP stack runs in the sender's system calls, so that
work is counted too, as it is for a registry.

    python3 Tools/loopback-floor.py                  # both modes, 24 sends of a 256 MiB file
    python3 Tools/loopback-floor.py --mode sendfile --no-hash
"""
import argparse
import hashlib
import os
import resource
import socket
import tempfile
import time


def receive(port, verify):
    connection = socket.create_connection(("127.0.0.1", port))
    buffer = memoryview(bytearray(1 << 20))
    hasher = hashlib.sha256()
    while True:
        count = connection.recv_into(buffer)
        if not count:
            return
        if verify:
            hasher.update(buffer[:count])


def send(connection, fd, size, mode):
    if mode == "sendfile":
        offset = 0
        while offset < size:
            offset += os.sendfile(connection.fileno(), fd, offset, size - offset)
        return
    buffer = memoryview(bytearray(1 << 20))
    offset = 0
    while offset < size:
        count = os.preadv(fd, [buffer], offset)
        connection.sendall(buffer[:count])
        offset += count


def measure(path, size, count, mode, verify):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    child = os.fork()
    if child == 0:
        listener.close()
        receive(port, verify)
        os._exit(0)
    connection, _ = listener.accept()
    fd = os.open(path, os.O_RDONLY)
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    for _ in range(count):
        send(connection, fd, size, mode)
    connection.close()
    os.waitpid(child, 0)
    after, elapsed = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - start
    os.close(fd)
    listener.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    gigabytes = size * count / 1e9
    print(f"{mode:8}  {gigabytes / elapsed * 1000:7.0f} MB/s  sender {cpu:5.2f} CPU-s  {cpu / gigabytes:.3f} CPU-s/GB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["sendfile", "pread", "both"], default="both")
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-hash", action="store_true", help="the receiver discards without hashing")
    arguments = parser.parse_args()
    size = arguments.size_mib << 20
    with tempfile.NamedTemporaryFile(dir=os.environ.get("TMPDIR", "/tmp")) as blob:
        remaining = size
        while remaining:
            chunk = os.urandom(min(remaining, 1 << 20))
            blob.write(chunk)
            remaining -= len(chunk)
        blob.flush()
        modes = ["sendfile", "pread"] if arguments.mode == "both" else [arguments.mode]
        for _ in range(arguments.rounds):
            for mode in modes:
                measure(blob.name, size, arguments.count, mode, not arguments.no_hash)


if __name__ == "__main__":
    main()
