//! The results: rows of a Markdown table, shown as they are measured and printed whole at the end
//! with a description of the machine.

use std::time::Duration;

use crate::http::Load;

#[derive(Debug, Clone)]
pub struct Row {
    pub what: String,
    pub backend: String,
    pub size: String,
    pub result: String,
    pub baseline: String,
    pub target: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    /// Conditions of the run that bear on the figures (printed under the table).
    pub notes: Vec<String>,
    /// While set, the process whose peak memory so far each progress line shows (to tell which
    /// measurement raised it).
    pub memory_of: Option<u32>,
}

impl Report {
    pub fn add(
        &mut self,
        what: impl Into<String>,
        backend: &str,
        size: Option<u64>,
        result: impl Into<String>,
        baseline: impl Into<String>,
        target: &str,
    ) {
        let row = Row {
            what: what.into(),
            backend: backend.to_string(),
            size: size.map(thousands).unwrap_or_default(),
            result: result.into(),
            baseline: baseline.into(),
            target: target.to_string(),
        };
        eprintln!(
            "  {} [{} {}]: {}{}{}",
            row.what,
            row.backend,
            row.size,
            row.result,
            if row.baseline.is_empty() {
                String::new()
            } else {
                format!(" (baseline {})", row.baseline)
            },
            match self.memory_of.and_then(crate::steward::peak_memory_of) {
                Some(bytes) => format!(" [steward's peak memory so far {}]", megabytes(bytes)),
                None => String::new(),
            }
        );
        self.rows.push(row);
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&machine());
        out.push_str("\n| measurement | backend | tickets | result | baseline | target |\n");
        out.push_str("| --- | --- | ---: | --- | --- | --- |\n");
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                r.what, r.backend, r.size, r.result, r.baseline, r.target
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("\n{n}\n"));
        }
        out
    }

    /// Notes a condition of the run (once).
    pub fn note(&mut self, text: String) {
        if !self.notes.contains(&text) {
            eprintln!("note: {text}");
            self.notes.push(text);
        }
    }
}

/// Latency as people read it: "0.84 ms", "12.3 ms", "1.20 s".
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "p50 1.2 ms, p99 3.4 ms" (and the errors, if any).
pub fn latency(load: &Load) -> String {
    let mut s = format!(
        "p50 {}, p99 {}",
        ms(load.percentile(50.0)),
        ms(load.percentile(99.0))
    );
    s.push_str(&errors(load));
    s
}

/// "5,210/s, p50 1.2 ms, p99 3.4 ms".
pub fn throughput(load: &Load) -> String {
    format!(
        "{}/s, p50 {}, p99 {}{}",
        thousands(load.per_second().round() as u64),
        ms(load.percentile(50.0)),
        ms(load.percentile(99.0)),
        errors(load)
    )
}

fn errors(load: &Load) -> String {
    match (&load.first_error, load.errors) {
        (_, 0) => String::new(),
        (Some(e), n) => format!(" — **{n} errors**, first: {}", e.replace('|', "/")),
        (None, n) => format!(" — **{n} errors**"),
    }
}

pub fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_000_000.0)
}

/// The machine: processor, cores, memory and kernel, as this Linux reports them.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown processor".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "unknown memory".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    format!("Machine: {model}, {cores} cores, {memory}, Linux {kernel}.\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(ms(Duration::from_micros(840)), "0.84 ms");
        assert_eq!(ms(Duration::from_millis(1200)), "1.20 s");
        let load = Load {
            requests: 100,
            errors: 0,
            first_error: None,
            elapsed: Duration::from_secs(1),
            latencies: (1..=100).map(Duration::from_millis).collect(),
        };
        assert_eq!(load.percentile(50.0), Duration::from_millis(50));
        assert_eq!(load.percentile(99.0), Duration::from_millis(99));
        assert_eq!(throughput(&load), "100/s, p50 50.0 ms, p99 99.0 ms");
    }
}
