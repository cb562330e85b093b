//! Who am I: rank and world size from flags, launcher environments or SageMaker files.
//!
//! [`detect`] tries the sources of DESIGN.md §1 in order and returns the first that
//! is present, with a name for the log line. It reads only the environment (through
//! a function, so tests pass a map) and the SageMaker `resourceconfig.json` files,
//! which are always local. It must not know about shards or pipelines: slicing the
//! input by rank is `manifest`'s job.
//!
//! A source that is half present (a rank without a world size) is an error rather
//! than a fall-through: guessing wrong makes two nodes process the same shards.
//! Empty variables count as unset.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{ConfigError, Error};
use crate::sagemaker::JobKind;

/// This node's place in the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// 0-based, below `world_size`.
    pub rank: u32,
    /// Number of nodes (processes) in the job, at least 1.
    pub world_size: u32,
    /// Where rank and world size came from (`slurm`, `torchrun`, ...), for the log.
    pub source: String,
}

impl fmt::Display for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rank {} of {} (from {})",
            self.rank, self.world_size, self.source
        )
    }
}

const SINGLE_NODE: &str = "single node";

/// Stands in for `/opt/ml` in tests.
pub const OPT_ML_ENV: &str = "SHARDWISE_OPT_ML";

/// The SageMaker root: `$SHARDWISE_OPT_ML`, else `/opt/ml`.
pub fn opt_ml_root(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    get(env, OPT_ML_ENV).map_or_else(|| PathBuf::from("/opt/ml"), PathBuf::from)
}

/// Works out rank and world size.
///
/// Precedence: `--rank/--world-size` flags (both or neither), `SHARDWISE_RANK` +
/// `SHARDWISE_WORLD_SIZE`, torchrun, Slurm, Open MPI, AWS Batch arrays, Kubernetes
/// Indexed Jobs, SageMaker (`<opt_ml>/config/resourceconfig.json` for Processing,
/// then `<opt_ml>/input/config/resourceconfig.json` for Training), then a single
/// node. `SHARDWISE_WORLD_SIZE` alone selects no source; it supplies the world size
/// to launchers that do not publish one, and must agree with those that do.
pub fn detect(
    rank: Option<u32>,
    world_size: Option<u32>,
    env: &dyn Fn(&str) -> Option<String>,
    opt_ml: &Path,
) -> Result<Cluster, Error> {
    let found = match (rank, world_size) {
        (Some(rank), Some(world_size)) => Found::new(rank, world_size, "flags"),
        (Some(_), None) => return Err(config("--rank needs --world-size")),
        (None, Some(_)) => return Err(config("--world-size needs --rank")),
        (None, None) => {
            let explicit_world = parse_opt(env, "SHARDWISE_WORLD_SIZE")?;
            let found = from_env(env, explicit_world, opt_ml)?;
            match explicit_world {
                Some(w) if !found.world_from_explicit && w != found.world_size => {
                    return Err(config(if found.source == SINGLE_NODE {
                        format!(
                            "SHARDWISE_WORLD_SIZE={w} is set but no rank was found: set \
                             SHARDWISE_RANK (or --rank), or run under a supported launcher"
                        )
                    } else {
                        format!(
                            "SHARDWISE_WORLD_SIZE={w} disagrees with world size {} from {}; \
                             unset one of them",
                            found.world_size, found.source
                        )
                    }));
                }
                _ => found,
            }
        }
    };
    if found.world_size == 0 {
        return Err(config(format!(
            "world size must be at least 1, got 0 (from {})",
            found.source
        )));
    }
    if found.rank >= found.world_size {
        return Err(config(format!(
            "rank {} is not below world size {} (from {})",
            found.rank, found.world_size, found.source
        )));
    }
    Ok(Cluster {
        rank: found.rank,
        world_size: found.world_size,
        source: found.source,
    })
}

struct Found {
    rank: u32,
    world_size: u32,
    source: String,
    /// The world size was taken from `SHARDWISE_WORLD_SIZE` (nothing to cross-check).
    world_from_explicit: bool,
}

impl Found {
    fn new(rank: u32, world_size: u32, source: impl Into<String>) -> Self {
        Self {
            rank,
            world_size,
            source: source.into(),
            world_from_explicit: false,
        }
    }
}

/// Every source after the flags, in order of precedence.
fn from_env(
    env: &dyn Fn(&str) -> Option<String>,
    explicit_world: Option<u32>,
    opt_ml: &Path,
) -> Result<Found, Error> {
    if let Some((r, w)) = pair(env, "SHARDWISE_RANK", "SHARDWISE_WORLD_SIZE")? {
        return Ok(Found {
            world_from_explicit: true,
            ..Found::new(r, w, "env SHARDWISE_RANK")
        });
    }
    if let Some((r, w)) = pair(env, "RANK", "WORLD_SIZE")? {
        return Ok(Found::new(r, w, "torchrun"));
    }
    if let Some(found) = slurm(env)? {
        return Ok(found);
    }
    if let Some((r, w)) = pair(env, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE")? {
        return Ok(Found::new(r, w, "open mpi"));
    }
    if let Some(r) = parse_opt(env, "AWS_BATCH_JOB_ARRAY_INDEX")? {
        let source = "aws batch array";
        if let Some(w) = parse_opt(env, "AWS_BATCH_JOB_ARRAY_SIZE")? {
            return Ok(Found::new(r, w, source));
        }
        let w = explicit_world.ok_or_else(|| {
            config(
                "AWS_BATCH_JOB_ARRAY_INDEX is set but AWS Batch does not publish the array \
                 size: set SHARDWISE_WORLD_SIZE (or AWS_BATCH_JOB_ARRAY_SIZE) to it",
            )
        })?;
        return Ok(Found {
            world_from_explicit: true,
            ..Found::new(r, w, source)
        });
    }
    if let Some(r) = parse_opt(env, "JOB_COMPLETION_INDEX")? {
        let w = explicit_world.ok_or_else(|| {
            config(
                "JOB_COMPLETION_INDEX is set (kubernetes indexed job) but the world size is \
                 not: set SHARDWISE_WORLD_SIZE to the job's `completions`",
            )
        })?;
        return Ok(Found {
            world_from_explicit: true,
            ..Found::new(r, w, "kubernetes indexed job")
        });
    }
    for kind in JobKind::ALL {
        let path = kind.resource_config(opt_ml);
        if path.is_file() {
            let (r, w) = sagemaker(&path)?;
            let source = format!("sagemaker {} ({})", kind.name(), path.display());
            return Ok(Found::new(r, w, source));
        }
    }
    Ok(Found::new(0, 1, SINGLE_NODE))
}

/// Slurm steps (`SLURM_PROCID/SLURM_NTASKS`) and job arrays.
///
/// In an array, each array task is one node when it runs a single task; when it
/// runs several (`srun -n 4` inside an array), the ranks are array-major so that no
/// two processes of the whole array share a rank.
fn slurm(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Found>, Error> {
    let procid = parse_opt(env, "SLURM_PROCID")?;
    let ntasks = match parse_opt(env, "SLURM_NTASKS")? {
        Some(n) => Some(n),
        None => parse_opt(env, "SLURM_NPROCS")?,
    };
    if let Some(task_id) = parse_opt(env, "SLURM_ARRAY_TASK_ID")? {
        let min = parse_opt(env, "SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = parse_opt(env, "SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        let count = parse_opt(env, "SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
            config("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
        })?;
        if task_id < min || (task_id - min) % step != 0 {
            return Err(config(format!(
                "SLURM_ARRAY_TASK_ID={task_id} is not on the array's grid \
                 (SLURM_ARRAY_TASK_MIN={min}, SLURM_ARRAY_TASK_STEP={step}); \
                 use a contiguous array such as --array=0-{}",
                count.saturating_sub(1)
            )));
        }
        let index = (task_id - min) / step;
        return Ok(Some(match ntasks.filter(|&n| n > 1) {
            None => Found::new(index, count, "slurm array"),
            Some(n) => {
                let procid = procid.ok_or_else(|| {
                    config(format!("SLURM_NTASKS={n} is set but SLURM_PROCID is not"))
                })?;
                let world = count.checked_mul(n).ok_or_else(|| {
                    config(format!(
                        "SLURM_ARRAY_TASK_COUNT={count} × SLURM_NTASKS={n} overflows"
                    ))
                })?;
                // An index beyond the array is caught by the rank < world check.
                if procid >= n {
                    return Err(config(format!(
                        "SLURM_PROCID={procid} is not below SLURM_NTASKS={n}"
                    )));
                }
                Found::new(
                    index.saturating_mul(n).saturating_add(procid),
                    world,
                    "slurm array",
                )
            }
        }));
    }
    match (procid, ntasks) {
        (Some(r), Some(w)) => Ok(Some(Found::new(r, w, "slurm"))),
        (Some(r), None) => Err(config(format!(
            "SLURM_PROCID={r} is set but SLURM_NTASKS is not"
        ))),
        _ => Ok(None),
    }
}

/// A SageMaker `resourceconfig.json`.
#[derive(serde::Deserialize)]
struct ResourceConfig {
    current_host: String,
    hosts: Vec<String>,
}

/// Rank and world size from a `resourceconfig.json`: the position of
/// `current_host` among the hosts in [`host_order`].
fn sagemaker(path: &Path) -> Result<(u32, u32), Error> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        config(format!(
            "{shown}: cannot read sagemaker resource config: {e}"
        ))
    })?;
    let rc: ResourceConfig = serde_json::from_str(&text).map_err(|e| {
        config(format!(
            "{shown}: not a sagemaker resource config (need `current_host` and `hosts`): {e}"
        ))
    })?;
    let hosts = host_order(&rc.hosts);
    if let Some(w) = hosts.windows(2).find(|w| w[0] == w[1]) {
        return Err(config(format!("{shown}: host `{}` is listed twice", w[0])));
    }
    let rank = hosts
        .iter()
        .position(|h| *h == rc.current_host)
        .ok_or_else(|| {
            config(format!(
                "{shown}: current_host `{}` is not among hosts {:?}",
                rc.current_host, rc.hosts
            ))
        })?;
    let world = u32::try_from(hosts.len())
        .map_err(|_| config(format!("{shown}: too many hosts ({})", hosts.len())))?;
    Ok((rank as u32, world))
}

/// The order every node agrees on: by number when every host is `algo-N`
/// (so `algo-10` follows `algo-9`), else lexicographic.
pub fn host_order(hosts: &[String]) -> Vec<&str> {
    let numbers: Option<Vec<u64>> = hosts
        .iter()
        .map(|h| h.strip_prefix("algo-").and_then(|n| n.parse().ok()))
        .collect();
    let mut order: Vec<(Option<u64>, &str)> = match numbers {
        Some(ns) => ns
            .into_iter()
            .zip(hosts)
            .map(|(n, h)| (Some(n), h.as_str()))
            .collect(),
        None => hosts.iter().map(|h| (None, h.as_str())).collect(),
    };
    order.sort_unstable();
    order.into_iter().map(|(_, h)| h).collect()
}

/// Both variables of a rank/size pair, neither, or an error naming the missing one.
fn pair(
    env: &dyn Fn(&str) -> Option<String>,
    rank_var: &str,
    size_var: &str,
) -> Result<Option<(u32, u32)>, Error> {
    match (parse_opt(env, rank_var)?, parse_opt(env, size_var)?) {
        (Some(r), Some(w)) => Ok(Some((r, w))),
        (Some(r), None) => Err(config(format!(
            "{rank_var}={r} is set but {size_var} is not"
        ))),
        // A size alone is not a source (SHARDWISE_WORLD_SIZE complements others).
        _ => Ok(None),
    }
}

/// A set, non-empty variable.
fn get(env: &dyn Fn(&str) -> Option<String>, var: &str) -> Option<String> {
    env(var).filter(|v| !v.trim().is_empty())
}

fn parse_opt(env: &dyn Fn(&str) -> Option<String>, var: &str) -> Result<Option<u32>, Error> {
    get(env, var)
        .map(|v| {
            v.trim().parse::<u32>().map_err(|_| {
                config(format!(
                    "{var}={v:?} is not a non-negative integer (a rank or world size)"
                ))
            })
        })
        .transpose()
}

fn config(msg: impl Into<String>) -> Error {
    ConfigError::msg(msg).into()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn detect_with(vars: &[(&str, &str)], opt_ml: &Path) -> Result<Cluster, Error> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        detect(None, None, &|k| map.get(k).cloned(), opt_ml)
    }

    fn env_only(vars: &[(&str, &str)]) -> Result<Cluster, Error> {
        detect_with(vars, Path::new("/nonexistent/shardwise-opt-ml"))
    }

    fn rank_world_source(c: Cluster) -> (u32, u32, String) {
        (c.rank, c.world_size, c.source)
    }

    fn err(r: Result<Cluster, Error>) -> String {
        let e = r.expect_err("expected an error");
        assert!(matches!(e, Error::Config(_)), "{e:?}");
        e.to_string()
    }

    fn write_rc(root: &Path, rel: &str, json: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, json).unwrap();
    }

    #[test]
    fn flags_win_over_everything() {
        let c = detect(
            Some(2),
            Some(4),
            &|k| (k == "RANK" || k == "WORLD_SIZE").then(|| "9".to_string()),
            Path::new("/nonexistent"),
        )
        .unwrap();
        assert_eq!(rank_world_source(c), (2, 4, "flags".into()));
    }

    #[test]
    fn one_flag_alone_is_an_error() {
        let none = |_: &str| None;
        let e = detect(Some(1), None, &none, Path::new("/x")).unwrap_err();
        assert!(e.to_string().contains("--rank needs --world-size"), "{e}");
        let e = detect(None, Some(3), &none, Path::new("/x")).unwrap_err();
        assert!(e.to_string().contains("--world-size needs --rank"), "{e}");
    }

    #[test]
    fn flags_are_validated() {
        let none = |_: &str| None;
        let e = detect(Some(4), Some(4), &none, Path::new("/x")).unwrap_err();
        assert!(
            e.to_string()
                .contains("rank 4 is not below world size 4 (from flags)"),
            "{e}"
        );
        let e = detect(Some(0), Some(0), &none, Path::new("/x")).unwrap_err();
        assert!(e.to_string().contains("at least 1"), "{e}");
    }

    #[test]
    fn shardwise_env_wins_over_launchers() {
        let c = env_only(&[
            ("SHARDWISE_RANK", "1"),
            ("SHARDWISE_WORLD_SIZE", "3"),
            ("RANK", "5"),
            ("WORLD_SIZE", "8"),
            ("SLURM_PROCID", "0"),
            ("SLURM_NTASKS", "2"),
        ])
        .unwrap();
        assert_eq!(rank_world_source(c), (1, 3, "env SHARDWISE_RANK".into()));
        let e = err(env_only(&[("SHARDWISE_RANK", "1")]));
        assert!(
            e.contains("SHARDWISE_RANK=1 is set but SHARDWISE_WORLD_SIZE is not"),
            "{e}"
        );
    }

    #[test]
    fn torchrun_wins_over_slurm() {
        let c = env_only(&[
            ("RANK", "5"),
            ("WORLD_SIZE", "8"),
            ("SLURM_PROCID", "0"),
            ("SLURM_NTASKS", "2"),
        ])
        .unwrap();
        assert_eq!(rank_world_source(c), (5, 8, "torchrun".into()));
        let e = err(env_only(&[("RANK", "5")]));
        assert!(e.contains("RANK=5 is set but WORLD_SIZE is not"), "{e}");
    }

    #[test]
    fn slurm_steps() {
        let c = env_only(&[("SLURM_PROCID", "3"), ("SLURM_NTASKS", "4")]).unwrap();
        assert_eq!(rank_world_source(c), (3, 4, "slurm".into()));
        let c = env_only(&[("SLURM_PROCID", "1"), ("SLURM_NPROCS", "2")]).unwrap();
        assert_eq!(rank_world_source(c), (1, 2, "slurm".into()));
        let e = err(env_only(&[("SLURM_PROCID", "3")]));
        assert!(e.contains("SLURM_NTASKS is not"), "{e}");
    }

    #[test]
    fn slurm_arrays() {
        // One task per array element: the array index is the rank.
        let c = env_only(&[
            ("SLURM_PROCID", "0"),
            ("SLURM_NTASKS", "1"),
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "10"),
        ])
        .unwrap();
        assert_eq!(rank_world_source(c), (2, 10, "slurm array".into()));
        let c = env_only(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ])
        .unwrap();
        assert_eq!(rank_world_source(c), (3, 4, "slurm array".into()));
        // Stepped arrays (--array=1-9:2) are dense after dividing by the step.
        let c = env_only(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "5"),
        ])
        .unwrap();
        assert_eq!((c.rank, c.world_size), (3, 5));
        // Several tasks per element: array-major ranks.
        let c = env_only(&[
            ("SLURM_PROCID", "1"),
            ("SLURM_NTASKS", "2"),
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ])
        .unwrap();
        assert_eq!((c.rank, c.world_size), (5, 6));
        let e = err(env_only(&[("SLURM_ARRAY_TASK_ID", "2")]));
        assert!(e.contains("SLURM_ARRAY_TASK_COUNT is not"), "{e}");
        // A sparse list (--array=1,5,7) cannot be mapped onto ranks.
        let e = err(env_only(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]));
        assert!(
            e.contains("rank 6 is not below world size 3 (from slurm array)"),
            "{e}"
        );
    }

    #[test]
    fn open_mpi() {
        let c = env_only(&[
            ("OMPI_COMM_WORLD_RANK", "2"),
            ("OMPI_COMM_WORLD_SIZE", "3"),
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
        ])
        .unwrap();
        assert_eq!(rank_world_source(c), (2, 3, "open mpi".into()));
    }

    #[test]
    fn aws_batch_arrays() {
        let c = env_only(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "4"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "5"),
        ])
        .unwrap();
        assert_eq!(rank_world_source(c), (4, 5, "aws batch array".into()));
        let c = env_only(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "4"),
            ("SHARDWISE_WORLD_SIZE", "6"),
        ])
        .unwrap();
        assert_eq!(rank_world_source(c), (4, 6, "aws batch array".into()));
        let e = err(env_only(&[("AWS_BATCH_JOB_ARRAY_INDEX", "4")]));
        assert!(e.contains("set SHARDWISE_WORLD_SIZE"), "{e}");
    }

    #[test]
    fn kubernetes_indexed_jobs_need_an_explicit_world_size() {
        let c = env_only(&[("JOB_COMPLETION_INDEX", "1"), ("SHARDWISE_WORLD_SIZE", "2")]).unwrap();
        assert_eq!(
            rank_world_source(c),
            (1, 2, "kubernetes indexed job".into())
        );
        let e = err(env_only(&[("JOB_COMPLETION_INDEX", "1")]));
        assert!(e.contains("JOB_COMPLETION_INDEX is set"), "{e}");
        assert!(e.contains("SHARDWISE_WORLD_SIZE"), "{e}");
    }

    #[test]
    fn an_explicit_world_size_must_agree_with_the_launcher() {
        let e = err(env_only(&[
            ("RANK", "0"),
            ("WORLD_SIZE", "8"),
            ("SHARDWISE_WORLD_SIZE", "4"),
        ]));
        assert!(
            e.contains("SHARDWISE_WORLD_SIZE=4 disagrees with world size 8 from torchrun"),
            "{e}"
        );
        let c = env_only(&[
            ("RANK", "0"),
            ("WORLD_SIZE", "8"),
            ("SHARDWISE_WORLD_SIZE", "8"),
        ])
        .unwrap();
        assert_eq!(c.source, "torchrun");
        // Without any rank source, a world size above 1 would silently duplicate work.
        let e = err(env_only(&[("SHARDWISE_WORLD_SIZE", "4")]));
        assert!(
            e.contains("SHARDWISE_WORLD_SIZE=4 is set but no rank was found"),
            "{e}"
        );
        assert_eq!(
            env_only(&[("SHARDWISE_WORLD_SIZE", "1")]).unwrap().source,
            "single node"
        );
    }

    #[test]
    fn parse_errors_name_the_variable_and_value() {
        let e = err(env_only(&[("SLURM_PROCID", "abc"), ("SLURM_NTASKS", "2")]));
        assert!(
            e.contains(r#"SLURM_PROCID="abc" is not a non-negative integer"#),
            "{e}"
        );
        let e = err(env_only(&[("RANK", "-1"), ("WORLD_SIZE", "2")]));
        assert!(e.contains(r#"RANK="-1""#), "{e}");
        // Empty means unset; surrounding blanks are tolerated.
        let c = env_only(&[
            ("RANK", ""),
            ("OMPI_COMM_WORLD_RANK", " 1 "),
            ("OMPI_COMM_WORLD_SIZE", "2"),
        ])
        .unwrap();
        assert_eq!(c.source, "open mpi");
    }

    #[test]
    fn launcher_ranks_are_validated() {
        let e = err(env_only(&[("RANK", "8"), ("WORLD_SIZE", "8")]));
        assert!(
            e.contains("rank 8 is not below world size 8 (from torchrun)"),
            "{e}"
        );
        let e = err(env_only(&[("RANK", "0"), ("WORLD_SIZE", "0")]));
        assert!(e.contains("world size must be at least 1"), "{e}");
    }

    #[test]
    fn sagemaker_processing_then_training() {
        let dir = tempfile::tempdir().unwrap();
        write_rc(
            dir.path(),
            "input/config/resourceconfig.json",
            r#"{"current_host": "algo-2", "hosts": ["algo-1", "algo-2"], "network_interface_name": "eth0"}"#,
        );
        let c = detect_with(&[], dir.path()).unwrap();
        assert_eq!((c.rank, c.world_size), (1, 2));
        assert!(c.source.starts_with("sagemaker training ("), "{}", c.source);

        write_rc(
            dir.path(),
            "config/resourceconfig.json",
            r#"{"current_host": "algo-3", "hosts": ["algo-3", "algo-1", "algo-2"]}"#,
        );
        let c = detect_with(&[], dir.path()).unwrap();
        assert_eq!((c.rank, c.world_size), (2, 3));
        assert!(
            c.source.starts_with("sagemaker processing ("),
            "{}",
            c.source
        );
        assert!(
            c.source.contains("config/resourceconfig.json"),
            "{}",
            c.source
        );

        // Launcher variables still win over the files.
        let c = detect_with(&[("RANK", "0"), ("WORLD_SIZE", "1")], dir.path()).unwrap();
        assert_eq!(c.source, "torchrun");
    }

    #[test]
    fn sagemaker_hosts_sort_by_number_then_by_name() {
        let hosts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            host_order(&hosts(&["algo-10", "algo-9", "algo-1"])),
            ["algo-1", "algo-9", "algo-10"]
        );
        assert_eq!(
            host_order(&hosts(&["algo-10", "b", "algo-9"])),
            ["algo-10", "algo-9", "b"]
        );
        let dir = tempfile::tempdir().unwrap();
        let many: Vec<String> = (1..=12).map(|i| format!("\"algo-{i}\"")).collect();
        write_rc(
            dir.path(),
            "config/resourceconfig.json",
            &format!(
                r#"{{"current_host": "algo-10", "hosts": [{}]}}"#,
                many.join(",")
            ),
        );
        let c = detect_with(&[], dir.path()).unwrap();
        assert_eq!((c.rank, c.world_size), (9, 12));
    }

    #[test]
    fn broken_sagemaker_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_rc(
            dir.path(),
            "config/resourceconfig.json",
            r#"{"hosts": ["algo-1"]}"#,
        );
        let e = err(detect_with(&[], dir.path()));
        assert!(
            e.contains("resourceconfig.json: not a sagemaker resource config"),
            "{e}"
        );
        write_rc(
            dir.path(),
            "config/resourceconfig.json",
            r#"{"current_host": "algo-7", "hosts": ["algo-1"]}"#,
        );
        let e = err(detect_with(&[], dir.path()));
        assert!(
            e.contains("current_host `algo-7` is not among hosts"),
            "{e}"
        );
        write_rc(
            dir.path(),
            "config/resourceconfig.json",
            r#"{"current_host": "algo-1", "hosts": ["algo-1", "algo-1"]}"#,
        );
        let e = err(detect_with(&[], dir.path()));
        assert!(e.contains("listed twice"), "{e}");
    }

    #[test]
    fn single_node_by_default() {
        let c = env_only(&[]).unwrap();
        assert_eq!(rank_world_source(c.clone()), (0, 1, "single node".into()));
        assert_eq!(c.to_string(), "rank 0 of 1 (from single node)");
    }

    #[test]
    fn opt_ml_root_honours_the_override() {
        assert_eq!(opt_ml_root(&|_| None), PathBuf::from("/opt/ml"));
        assert_eq!(
            opt_ml_root(&|k| (k == OPT_ML_ENV).then(|| "/tmp/x".to_string())),
            PathBuf::from("/tmp/x")
        );
    }
}
