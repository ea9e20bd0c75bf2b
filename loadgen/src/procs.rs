//! What /proc says about the mesh's processes: who they are, the CPU time
//! they used and the memory they hold.

use anyhow::Context as _;

/// One component's process.
#[derive(Debug, Clone)]
pub struct Component {
    /// users, products, ..., edge.
    pub name: String,
    /// Its process id.
    pub pid: u32,
}

/// The components the launcher `pid` started (`shop serve <name>` children).
pub fn components_of(pid: u32) -> anyhow::Result<Vec<Component>> {
    let mut found = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let children = std::fs::read_to_string(task?.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
            let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
            let args: Vec<String> =
                cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            if let Some(at) = args.iter().position(|a| a == "serve") {
                let name = args.get(at + 1).cloned().unwrap_or_default();
                found.push(Component { name, pid: child });
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// User plus system CPU time of `pid`, all threads, in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces; the fields after it do not.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).context("an unreadable /proc stat")?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 =
        fields.get(11..13).context("a short /proc stat")?.iter().filter_map(|f| f.parse::<u64>().ok()).sum();
    Ok(ticks as f64 / clock_ticks_per_second())
}

/// A process's resident memory, MiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// All of it (VmRSS).
    pub resident: f64,
    /// Its anonymous part (RssAnon): heap and stacks, the process's own.
    /// The rest is mostly the binary's code, mapped from the file and shared
    /// with every other process running it.
    pub anonymous: f64,
}

/// Resident memory of `pid`.
pub fn memory(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let mib = |field: &str| -> anyhow::Result<f64> {
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
        Ok(kib / 1024.0)
    };
    Ok(Memory { resident: mib("VmRSS:")?, anonymous: mib("RssAnon:")? })
}

fn clock_ticks_per_second() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten().map_or(100.0, |t| t as f64)
}
