//! One node process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Why a process could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The binary could not be found.
    #[error("cannot find the truffle binary ({0}); build it with `cargo build --workspace --bins` or set TRUFFLE_BIN")]
    NoBinary(String),
    /// The binary next to the tests was not built from these sources (they changed since,
    /// or another checkout sharing the target folder built it last).
    #[error("the truffle binary {binary} is stale: {why}; run `cargo build --workspace --bins` or set TRUFFLE_BIN")]
    StaleBinary {
        /// The binary.
        binary: String,
        /// The source that makes it stale.
        why: String,
    },
    /// Starting failed.
    #[error("cannot start {binary}: {source}")]
    Spawn {
        /// The binary.
        binary: String,
        /// The error.
        source: std::io::Error,
    },
    /// The process did not print its RPC address in time.
    #[error("the node did not become ready within {0:?}; see its log {1}")]
    NotReady(Duration, String),
    /// The process exited before it was ready.
    #[error("the node exited before it was ready ({0}); see its log {1}")]
    Exited(String, String),
}

/// The `truffle` binary: `$TRUFFLE_BIN`, this process itself when it is `truffle`,
/// or `truffle` next to the running test binary's target folder.
pub fn truffle_binary() -> Result<PathBuf, ProcessError> {
    if let Ok(path) = std::env::var("TRUFFLE_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|e| ProcessError::NoBinary(e.to_string()))?;
    if exe.file_stem().is_some_and(|s| s == "truffle") {
        return Ok(exe);
    }
    // Test binaries live in target/<profile>/deps; the binary in target/<profile>.
    for dir in exe.ancestors().skip(1).take(3) {
        let candidate = dir.join("truffle");
        if candidate.is_file() {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap_or(Path::new("/"));
            check_built_from(&candidate, workspace)?;
            return Ok(candidate);
        }
    }
    Err(ProcessError::NoBinary(format!(
        "looked near {}",
        exe.display()
    )))
}

/// Refuses a binary that cargo's dep-info (`truffle.d` beside it) says was built from
/// another checkout, or from sources older than the ones on disk: `cargo test` does not
/// rebuild other packages' binaries, and process tests of a stale node mislead.
fn check_built_from(binary: &Path, workspace: &Path) -> Result<(), ProcessError> {
    let Ok(dep_info) = std::fs::read_to_string(binary.with_extension("d")) else {
        return Ok(());
    };
    let stale = |why: String| ProcessError::StaleBinary {
        binary: binary.display().to_string(),
        why,
    };
    let built = std::fs::metadata(binary)
        .and_then(|m| m.modified())
        .map_err(|e| stale(e.to_string()))?;
    // Generated sources (build scripts' output) live in the target folder.
    let target = binary.parent().and_then(Path::parent);
    for source in dep_info_sources(&dep_info) {
        let path = Path::new(&source);
        let generated = target.is_some_and(|t| path.starts_with(t));
        if !path.starts_with(workspace) && !generated {
            return Err(stale(format!(
                "it was built from {source}, outside {}",
                workspace.display()
            )));
        }
        let changed = std::fs::metadata(path).and_then(|m| m.modified());
        if path.starts_with(workspace) && changed.is_ok_and(|t| t > built) {
            return Err(stale(format!("{source} changed after it was built")));
        }
    }
    Ok(())
}

/// The sources listed in a Makefile-style dep-info file (`target: a b\ c`), the first
/// rule only.
fn dep_info_sources(dep_info: &str) -> Vec<String> {
    let line = dep_info.lines().next().unwrap_or_default();
    let Some((_, sources)) = line.split_once(": ") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = sources.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A running node process. Its stdout and stderr go to a log file; it is ready when
/// the log shows its RPC address.
pub struct NodeProcess {
    child: Option<Child>,
    binary: PathBuf,
    args: Vec<String>,
    log_path: PathBuf,
    /// The RPC URL the node printed, e.g. "http://127.0.0.1:38211".
    pub rpc_url: String,
    detached: bool,
}

impl NodeProcess {
    /// Starts `binary args...` with output to `log_path`, and waits (up to `timeout`)
    /// until it prints an `http://127.0.0.1:PORT` address.
    pub fn start(
        binary: &Path,
        args: &[String],
        log_path: &Path,
        timeout: Duration,
    ) -> Result<NodeProcess, ProcessError> {
        let mut process = NodeProcess {
            child: None,
            binary: binary.to_path_buf(),
            args: args.to_vec(),
            log_path: log_path.to_path_buf(),
            rpc_url: String::new(),
            detached: false,
        };
        process.spawn(timeout)?;
        Ok(process)
    }

    /// Starts the process, again if it exited because one of its fixed ports was taken:
    /// a restarted node keeps its ports (its peers dial them), and while it was down
    /// another process on the machine may have been handed one of them for a moment.
    fn spawn(&mut self, timeout: Duration) -> Result<(), ProcessError> {
        const PORT_RETRIES: u32 = 5;
        let mut retries = 0;
        loop {
            let offset = std::fs::metadata(&self.log_path).map_or(0, |m| m.len());
            match self.spawn_once(timeout, offset) {
                Err(ProcessError::Exited(..))
                    if retries < PORT_RETRIES
                        && self.log_since(offset).is_some_and(|log| port_taken(&log)) =>
                {
                    retries += 1;
                    std::thread::sleep(Duration::from_secs(1));
                }
                outcome => return outcome,
            }
        }
    }

    fn spawn_once(&mut self, timeout: Duration, offset: u64) -> Result<(), ProcessError> {
        let spawn_error = |source| ProcessError::Spawn {
            binary: self.binary.display().to_string(),
            source,
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(spawn_error)?;
        let mut command = Command::new(&self.binary);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().map_err(spawn_error)?))
            .stderr(Stdio::from(log));
        // Its own process group: a Ctrl-C meant for the launcher does not reach it.
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        self.child = Some(command.spawn().map_err(spawn_error)?);
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(url) = self.read_url_since(offset) {
                self.rpc_url = url;
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(ProcessError::Exited(
                    status.to_string(),
                    self.log_path.display().to_string(),
                ));
            }
            if Instant::now() > deadline {
                return Err(ProcessError::NotReady(
                    timeout,
                    self.log_path.display().to_string(),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn read_url_since(&self, offset: u64) -> Option<String> {
        self.log_since(offset)?
            .lines()
            .filter(|line| line.contains("JSON-RPC:") || line.contains("rpc=http"))
            .find_map(find_url)
    }

    /// What the process logged after `offset`.
    fn log_since(&self, offset: u64) -> Option<String> {
        let bytes = std::fs::read(&self.log_path).ok()?;
        Some(String::from_utf8_lossy(bytes.get(offset as usize..)?).into_owned())
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Leaves the process running when this handle is dropped (for `truffle testnet up`).
    pub fn detach(mut self) -> Option<u32> {
        self.detached = true;
        self.pid()
    }

    /// SIGKILL: the node gets no chance to flush anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub fn terminate(&mut self, grace: Duration) {
        self.terminate_with_status(grace);
    }

    /// SIGTERM, then waits up to `grace` for the process to exit and returns how it
    /// exited; `None` when it had to be killed (or was not running).
    pub fn terminate_with_status(&mut self, grace: Duration) -> Option<ExitStatus> {
        let pid = self.pid()?;
        signal(pid, libc::SIGTERM);
        let status = self.wait_for_exit(grace);
        if status.is_none() {
            self.kill();
        }
        status
    }

    /// Waits up to `timeout` for the process to exit by itself; returns its status,
    /// or `None` if it is still running (or was not).
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Some(status) = child.try_wait().ok().flatten() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGSTOP: the process freezes (a hung node) until [`NodeProcess::resume`].
    pub fn pause(&self) {
        if let Some(child) = &self.child {
            signal(child.id(), libc::SIGSTOP);
        }
    }

    /// SIGCONT after [`NodeProcess::pause`].
    pub fn resume(&self) {
        if let Some(child) = &self.child {
            signal(child.id(), libc::SIGCONT);
        }
    }

    /// Starts the process again with the same arguments (after a kill).
    pub fn restart(&mut self, timeout: Duration) -> Result<(), ProcessError> {
        self.kill();
        self.spawn(timeout)
    }

    /// Where its output goes.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if !self.detached {
            if let Some(child) = &self.child {
                // A paused process must be resumed to die cleanly.
                signal(child.id(), libc::SIGCONT);
            }
            self.kill();
        }
    }
}

/// Whether a node's start-up log says one of its ports was taken.
fn port_taken(log: &str) -> bool {
    log.contains("Address already in use") || log.contains("cannot listen on")
}

/// Sends a signal to a process.
pub fn signal(pid: u32, signal: i32) -> bool {
    // SAFETY: kill(2) has no memory effects; a stale pid at worst gets ESRCH.
    unsafe { libc::kill(pid as i32, signal) == 0 }
}

fn find_url(line: &str) -> Option<String> {
    let start = line.find("http://127.0.0.1:")?;
    let url: String = line[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    Some(url.trim_end_matches(['/', ',', ')']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn reads_dep_info_with_escaped_spaces() {
        assert_eq!(
            dep_info_sources(
                "/t/debug/truffle: /w/a.rs /w/my\\ dir/b.rs  /t/out/c.rs\n\n/w/a.rs:\n"
            ),
            ["/w/a.rs", "/w/my dir/b.rs", "/t/out/c.rs"]
        );
        assert!(dep_info_sources("no rule here").is_empty());
    }

    /// A stand-in node: a script that counts its starts in `dir/starts` and fails the
    /// first `failures` of them with `failure` on its log, then reports ready. It runs
    /// through `/bin/sh` (as the binary, the script its argument): executing a file just
    /// written races the other tests' forks, which may still hold it open for writing.
    fn flaky_node(dir: &Path, failures: u32, failure: &str) -> Vec<String> {
        let script = dir.join("node.sh");
        std::fs::write(
            &script,
            format!(
                "n=$(cat {dir}/starts 2>/dev/null || echo 0); n=$((n + 1)); echo $n > {dir}/starts\n\
                 if [ $n -le {failures} ]; then echo 'error: cannot start the node: {failure}'; exit 1; fi\n\
                 echo 'JSON-RPC: http://127.0.0.1:1/'; exec sleep 30\n",
                dir = dir.display()
            ),
        )
        .unwrap();
        vec![script.display().to_string()]
    }

    fn starts(dir: &Path) -> u32 {
        std::fs::read_to_string(dir.join("starts"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// A node whose port was taken for a moment is started again; one that failed for
    /// another reason is not.
    #[test]
    fn a_start_is_retried_only_when_a_port_was_taken() {
        let dir = tempfile::tempdir().unwrap();
        let taken = "p2p: cannot listen on /ip4/127.0.0.1/tcp/42441: Address already in use";
        let script = flaky_node(dir.path(), 2, taken);
        let log = dir.path().join("node.log");
        let mut process =
            NodeProcess::start(Path::new("/bin/sh"), &script, &log, Duration::from_secs(10))
                .unwrap();
        assert_eq!(process.rpc_url, "http://127.0.0.1:1");
        assert_eq!(starts(dir.path()), 3);
        process.kill();

        let dir = tempfile::tempdir().unwrap();
        let script = flaky_node(dir.path(), 1, "the genesis does not match the data folder");
        let log = dir.path().join("node.log");
        let outcome =
            NodeProcess::start(Path::new("/bin/sh"), &script, &log, Duration::from_secs(10));
        assert!(matches!(outcome, Err(ProcessError::Exited(..))));
        assert_eq!(starts(dir.path()), 1);
    }

    /// A workspace with one source and a target folder with a binary built from it.
    fn built_tree(dir: &Path, source_from: &Path) -> (PathBuf, PathBuf) {
        let workspace = dir.join("ws");
        std::fs::create_dir_all(workspace.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("target/debug/build/out")).unwrap();
        let source = source_from.join("src/main.rs");
        std::fs::create_dir_all(source.parent().unwrap()).unwrap();
        std::fs::write(&source, "fn main() {}").unwrap();
        let generated = dir.join("target/debug/build/out/assets.rs");
        std::fs::write(&generated, "").unwrap();
        let binary = dir.join("target/debug/truffle");
        std::fs::write(&binary, "").unwrap();
        std::fs::write(
            binary.with_extension("d"),
            format!(
                "{}: {} {}\n",
                binary.display(),
                generated.display(),
                source.display()
            ),
        )
        .unwrap();
        let an_hour_ago = SystemTime::now() - Duration::from_secs(3_600);
        for file in [&source, &generated] {
            std::fs::File::options()
                .write(true)
                .open(file)
                .unwrap()
                .set_modified(an_hour_ago)
                .unwrap();
        }
        (workspace, source)
    }

    #[test]
    fn accepts_a_binary_built_from_these_sources() {
        let dir = tempfile::tempdir().unwrap();
        let (workspace, _) = built_tree(dir.path(), &dir.path().join("ws"));
        check_built_from(&dir.path().join("target/debug/truffle"), &workspace).unwrap();
    }

    #[test]
    fn refuses_a_binary_older_than_a_source() {
        let dir = tempfile::tempdir().unwrap();
        let (workspace, source) = built_tree(dir.path(), &dir.path().join("ws"));
        std::fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(SystemTime::now() + Duration::from_secs(60))
            .unwrap();
        let error = check_built_from(&dir.path().join("target/debug/truffle"), &workspace)
            .unwrap_err()
            .to_string();
        assert!(error.contains("changed after it was built"), "{error}");
    }

    #[test]
    fn refuses_a_binary_built_from_another_checkout() {
        let dir = tempfile::tempdir().unwrap();
        let (workspace, _) = built_tree(dir.path(), &dir.path().join("other-checkout"));
        let error = check_built_from(&dir.path().join("target/debug/truffle"), &workspace)
            .unwrap_err()
            .to_string();
        assert!(error.contains("other-checkout"), "{error}");
    }

    #[test]
    fn finds_the_rpc_url() {
        assert_eq!(
            find_url("  JSON-RPC: http://127.0.0.1:9944  (WebSocket: ws://127.0.0.1:9944)")
                .as_deref(),
            Some("http://127.0.0.1:9944")
        );
        assert_eq!(
            find_url("truffle node ready: rpc=http://127.0.0.1:1234 key=ab").as_deref(),
            Some("http://127.0.0.1:1234")
        );
        assert_eq!(find_url("nothing here"), None);
    }

    #[test]
    fn a_process_that_exits_is_reported() {
        let dir = std::env::temp_dir().join(format!("truffle-testnet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let result = NodeProcess::start(
            Path::new("/bin/sh"),
            &["-c".into(), "echo starting; exit 3".into()],
            &dir.join("log"),
            Duration::from_secs(5),
        );
        assert!(
            matches!(result, Err(ProcessError::Exited(..))),
            "{:?}",
            result.err()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
