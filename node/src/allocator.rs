//! glibc malloc's arenas, bounded for a long-running node.
//!
//! glibc gives a thread that finds the arenas busy an arena of its own, up to eight per
//! core. A node runs many threads (tokio's workers and blocking pool, the consensus
//! runtime, RocksDB's), and each arena keeps the memory freed into it: under sustained
//! load the node's resident memory grows with the arenas rather than with its data (in
//! BENCHMARKS.md, 100,000 raffle entries: peaks of 326–413 MiB with glibc's default,
//! 253–259 MiB with two arenas, at the same throughput).

/// The arenas a node's process may create.
pub const NODE_MALLOC_ARENAS: i32 = 2;

/// Bounds glibc malloc to [`NODE_MALLOC_ARENAS`] arenas, unless the operator chose
/// with glibc's own `MALLOC_ARENA_MAX`. Called before the node starts its threads;
/// returns whether the bound was set (never on other C libraries).
pub fn bound_malloc_arenas() -> bool {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return false;
    }
    set_arena_max(NODE_MALLOC_ARENAS)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_arena_max(arenas: i32) -> bool {
    // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX takes any positive
    // count and affects arenas created from now on.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_arena_max(_arenas: i32) -> bool {
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// The arenas glibc's `malloc_info` reports (one `<heap nr=…>` element each).
    fn arenas() -> usize {
        let mut buffer: *mut libc::c_char = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        // SAFETY: open_memstream allocates the buffer it reports; it is read after
        // fclose flushed it, then freed with the C allocator that made it.
        unsafe {
            let stream = libc::open_memstream(&mut buffer, &mut size);
            assert!(!stream.is_null());
            assert_eq!(libc::malloc_info(0, stream), 0);
            libc::fclose(stream);
            let text = std::slice::from_raw_parts(buffer as *const u8, size);
            let count = String::from_utf8_lossy(text).matches("<heap nr=").count();
            libc::free(buffer.cast());
            count
        }
    }

    /// Many threads allocating at once, holding their memory until all have allocated.
    fn allocate_on_many_threads() {
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(16));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let held: Vec<Vec<u8>> = (0..256).map(|i| vec![i as u8; 4096]).collect();
                    barrier.wait();
                    held.len()
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), 256);
        }
    }

    /// Runs the child test alone in a fresh process (arenas, once made, stay), in
    /// `mode`, with the operator's `MALLOC_ARENA_MAX` if any.
    fn in_a_fresh_process(mode: &str, operator: Option<&str>) -> std::process::Output {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", "allocator::tests::arena_child", "--nocapture"])
            .args(["--test-threads", "1"])
            .env("TRUFFLE_ARENA_CHILD", mode);
        match operator {
            Some(arenas) => command.env("MALLOC_ARENA_MAX", arenas),
            None => command.env_remove("MALLOC_ARENA_MAX"),
        };
        command.output().unwrap()
    }

    #[test]
    fn arena_child() {
        let Ok(mode) = std::env::var("TRUFFLE_ARENA_CHILD") else {
            return; // only meaningful in the child process the tests below start
        };
        match mode.as_str() {
            "bound" => assert!(bound_malloc_arenas()),
            "chosen" => assert!(!bound_malloc_arenas(), "the operator's choice stands"),
            _ => {}
        }
        allocate_on_many_threads();
        println!("arenas={}", arenas());
    }

    fn arenas_in_child(bound: bool) -> usize {
        let output = in_a_fresh_process(if bound { "bound" } else { "free" }, None);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        // The harness prints the test's name on the same line.
        let (_, count) = stdout
            .split_once("arenas=")
            .unwrap_or_else(|| panic!("no arena count in {stdout}"));
        count
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no arena count in {stdout}"))
    }

    #[test]
    fn a_bounded_node_makes_at_most_two_arenas() {
        assert!(arenas_in_child(true) <= NODE_MALLOC_ARENAS as usize);
        // The same threads without the bound make more: the check can tell.
        assert!(arenas_in_child(false) > NODE_MALLOC_ARENAS as usize);
    }

    #[test]
    fn an_operators_choice_is_kept() {
        // In a child: setting the variable here would race the other tests' threads.
        let output = in_a_fresh_process("chosen", Some("4"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        assert!(stdout.contains("arenas="), "the child ran: {stdout}");
    }
}
