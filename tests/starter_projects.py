"""Minimal hello-HTTP projects, one per language, laid out as the starter Dockerfiles expect.

Each serves `hello from <language>` on $PORT (8080) with nothing but its standard library, so
a build needs no package registry. They are written for the Debian 12 toolchains of the
stand-in images (Rust 1.63, Go 1.19, Node 18, Python 3.11, OpenJDK 17).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

C_SERVER = r"""
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    const char *port = getenv("PORT");
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port ? atoi(port) : 8080);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) { perror("listen"); return 1; }
    const char *body = "hello from LANG\n";
    char reply[256], buf[2048];
    int n = snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     strlen(body), body);
    for (;;) {
        int c = accept(s, 0, 0);
        if (c < 0) continue;
        (void)read(c, buf, sizeof buf);
        (void)write(c, reply, n);
        close(c);
    }
}
"""

RUST_SERVER = """use std::io::{Read, Write};
use std::net::TcpListener;

fn main() {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = TcpListener::bind(format!("0.0.0.0:{}", port)).expect("bind");
    for stream in listener.incoming() {
        if let Ok(mut s) = stream {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let body = "hello from rust\\n";
            let _ = write!(s, "HTTP/1.1 200 OK\\r\\nContent-Length: {}\\r\\nConnection: close\\r\\n\\r\\n{}", body.len(), body);
        }
    }
}
"""

GO_SERVER = """package main

import (
\t"fmt"
\t"net/http"
\t"os"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello from go\\n") })
\tif err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
\t\tpanic(err)
\t}
}
"""

JS_SERVER = """const http = require("http");
http.createServer((req, res) => { res.end("hello from javascript\\n"); }).listen(Number(process.env.PORT));
"""

PY_SERVER = """import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from python\\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Hello).serve_forever()
"""

JAVA_SERVER = """package hello;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;

public class Main {
    public static void main(String[] args) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(System.getenv("PORT"))), 0);
        server.createContext("/", exchange -> {
            byte[] body = "hello from java\\n".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) { out.write(body); }
        });
        server.start();
    }
}
"""

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>{name}</artifactId>
  <version>0.1.0</version>
  <packaging>jar</packaging>
  <properties>
    <maven.compiler.source>17</maven.compiler.source>
    <maven.compiler.target>17</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-jar-plugin</artifactId>
        <version>3.3.0</version>
        <configuration><archive><manifest><mainClass>hello.Main</mainClass></manifest></archive></configuration>
      </plugin>
    </plugins>
  </build>
</project>
"""


def write_project(language: str, name: str, root: Path) -> None:
    """The hello project of `language` for a service named `name`, in `root`."""
    snake = name.replace("-", "_")
    files: dict[str, str] = {}
    if language == "rust":
        files = {"Cargo.toml": f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n',
                 "src/main.rs": RUST_SERVER}
    elif language == "c":
        files = {"src/main.c": C_SERVER.replace("LANG", "c")}
    elif language == "cpp":
        files = {"src/main.cpp": C_SERVER.replace("LANG", "cpp").replace("= {0}", "{}")
                 .replace("(struct sockaddr *)&a", "reinterpret_cast<sockaddr *>(&a)")}
    elif language in ("go", "tinygo"):
        files = {"go.mod": "module example.com/hello\n\ngo 1.19\n", "main.go": GO_SERVER}
    elif language == "javascript":
        meta = {"name": "hello", "version": "0.1.0", "private": True}
        lock = {**meta, "lockfileVersion": 3, "requires": True, "packages": {"": meta}}
        files = {"package.json": json.dumps(meta), "package-lock.json": json.dumps(lock), "index.js": JS_SERVER}
    elif language == "python":
        files = {"requirements.txt": "# standard library only\n", f"{snake}/__init__.py": "",
                 f"{snake}/__main__.py": PY_SERVER}
    elif language == "java":
        files = {"pom.xml": POM.format(name=name), "src/main/java/hello/Main.java": JAVA_SERVER}
    elif language == "other":
        _prebuilt_binary(root / "build" / name)
    else:
        raise ValueError(f"no hello project for {language}")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _prebuilt_binary(out: Path) -> None:
    """`other`: the user builds their executable; here a static C server built on the host."""
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc, "the 'other' Dockerfile test needs a C compiler on the host to make the prebuilt binary"
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.parent / "server.c"
    src.write_text(C_SERVER.replace("LANG", "other"))
    subprocess.run([cc, "-O2", "-static", "-o", str(out), str(src)], check=True, capture_output=True, timeout=120)
    src.unlink()
