//! The yardstick beside the gateway: a static file server serving the very
//! bytes the gateway releases, on the same machine in the same run. Debian's
//! nginx when it is installed (the test command installs it), else a minimal
//! static server in this process (std threads, HTTP/1.1 keep-alive, files
//! read per request). The same clients fetch from it as from the gateway:
//! the same HTTP client, the same concurrency, the same SHA-256 check.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where nginx is looked for.
const NGINX: &[&str] = &["/usr/sbin/nginx", "/usr/bin/nginx"];

pub struct StaticServer {
    pub url: String,
    /// "nginx 1.22.1" or "the benchmark's own static server".
    pub name: String,
    child: Option<Child>,
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl StaticServer {
    /// Serves the files of `root` (readable by nginx's worker user) under `/`.
    pub fn start(root: &Path, work: &Path) -> anyhow::Result<StaticServer> {
        match NGINX.iter().map(PathBuf::from).find(|p| p.exists()) {
            Some(nginx) => Self::nginx(&nginx, root, work),
            None => Self::own(root),
        }
    }

    fn nginx(nginx: &Path, root: &Path, work: &Path) -> anyhow::Result<StaticServer> {
        let port = free_port()?;
        std::fs::create_dir_all(work.join("logs"))?;
        let conf = work.join("nginx.conf");
        // Root runs the workers as root here, so the temporary directory needs no opening up.
        let user = if is_root() { "user root;\n" } else { "" };
        std::fs::write(
            &conf,
            format!(
                "{user}worker_processes auto;\npid {work}/nginx.pid;\nerror_log {work}/logs/error.log;\n\
                 events {{ worker_connections 256; }}\n\
                 http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n\
                 client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fcgi;\n\
                 uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;\n\
                 server {{ listen 127.0.0.1:{port}; root {root}; location / {{ }} }}\n}}\n",
                work = work.display(),
                root = root.display(),
            ),
        )?;
        let version = Command::new(nginx)
            .arg("-v")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
            .unwrap_or_default();
        let child = Command::new(nginx)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(work)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", nginx.display()))?;
        let server = StaticServer {
            url: format!("http://127.0.0.1:{port}"),
            name: version
                .strip_prefix("nginx version: ")
                .unwrap_or(&version)
                .replace('/', " "),
            child: Some(child),
        };
        server.wait_until_up()?;
        Ok(server)
    }

    fn own(root: &Path) -> anyhow::Result<StaticServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                std::thread::spawn(move || serve_connection(stream, &root));
            }
        });
        Ok(StaticServer {
            url,
            name: "the benchmark's own static server".into(),
            child: None,
        })
    }

    fn wait_until_up(&self) -> anyhow::Result<()> {
        let addr = self.url.trim_start_matches("http://");
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if TcpStream::connect(addr).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        anyhow::bail!("the static server at {} did not come up", self.url)
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|v| v.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

/// GET requests on one connection, each answered with the named file of `root`.
fn serve_connection(stream: TcpStream, root: &Path) {
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut out = write_half;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" || h == "\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let name = line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .trim_start_matches('/');
        let file = (!name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'))
        .then(|| std::fs::read(root.join(name)).ok())
        .flatten();
        let answer = match &file {
            Some(data) => out
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
                        data.len()
                    )
                    .as_bytes(),
                )
                .and_then(|()| out.write_all(data)),
            None => out.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"),
        };
        if answer.is_err() {
            return;
        }
    }
}
