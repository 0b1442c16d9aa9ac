//! Choosing where inference runs: a hardware GPU through burn-wgpu when one exists, burn's
//! flex CPU backend otherwise, or either one forced.
//!
//! wgpu can be initialised once per process, so the probe runs once and its outcome is kept.
//! A software adapter (llvmpipe, lavapipe: `DeviceType::Cpu`) runs ~12× slower than flex, so
//! `auto` treats it as no GPU; forcing `gpu` still uses it (the CPU-side tests of the GPU path).
//!
//! `auto` probes only where a hardware GPU can exist: on Linux a GPU needs a device node
//! (`/dev/dri/renderD*`, `/dev/nvidia*`, WSL's `/dev/dxg`), so without one the CPU is chosen without starting
//! the Vulkan loader at all. That keeps a plugin in a host and a CLI on a server silent: Mesa's
//! layers print to stderr when they look for a display server that is not there. Where the
//! probe does run without a desktop session, its stderr goes to `/dev/null` for its duration.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use burn::tensor::Device;
use burn::tensor::wgpu::WgpuBackend;
use burn::tensor::wgpu::wgpu::DeviceType;
use cubecl_runtime::config::cache::CacheConfig;
use cubecl_runtime::config::{CubeClRuntimeConfig, RuntimeConfig};

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// The CPU (flex), always available.
    Cpu,
    /// A wgpu adapter, software ones included; an error when there is none.
    Gpu,
    /// A hardware GPU when one exists, the CPU otherwise.
    #[default]
    Auto,
}

impl FromStr for BackendChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            "auto" => Ok(Self::Auto),
            other => Err(format!(
                "unknown backend '{other}' (expected cpu, gpu or auto)"
            )),
        }
    }
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
            Self::Auto => "auto",
        })
    }
}

/// A device ready for inference, with a description for status lines.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    /// The burn device.
    pub device: Device,
    /// Human-readable name: "CPU (flex)" or the GPU adapter's name and API.
    pub description: String,
    /// Whether it is a GPU (hardware or software).
    pub is_gpu: bool,
}

impl ComputeDevice {
    /// burn's pure-Rust CPU backend.
    pub fn cpu() -> Self {
        Self {
            device: Device::flex(),
            description: "CPU (flex)".into(),
            is_gpu: false,
        }
    }
}

/// Why a forced GPU is not available.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no GPU available: {0}")]
pub struct NoGpu(String);

struct GpuProbe {
    compute: ComputeDevice,
    software: bool,
}

static GPU: OnceLock<Result<GpuProbe, String>> = OnceLock::new();

/// Keeps cubecl's autotune database in the user's cache directory instead of the current
/// working directory; it must run before the first GPU kernel.
fn configure_cubecl_caches() {
    let mut config = CubeClRuntimeConfig::default();
    config.environment.path = CacheConfig::Global;
    // A configuration set earlier by the application wins; that is what try_set is for.
    let _ = CubeClRuntimeConfig::try_set(config);
}

/// The graphics API to look for a GPU on. On Linux that is Vulkan: every GPU worth computing on
/// has it, and probing OpenGL goes through EGL, which prints to stderr when there is no display
/// server (a plugin inside a host and a CLI on a server must stay quiet).
fn graphics_api() -> WgpuBackend {
    if cfg!(target_os = "linux") {
        WgpuBackend::Vulkan
    } else {
        WgpuBackend::Auto
    }
}

fn probe_gpu() -> &'static Result<GpuProbe, String> {
    GPU.get_or_init(|| {
        configure_cubecl_caches();
        let init = without_display_noise(|| {
            std::panic::catch_unwind(|| {
                Device::wgpu_options()
                    .graphics_api(graphics_api())
                    .init_with_setup()
            })
        });
        match init {
            Ok(Ok((device, setup))) => {
                let info = setup.adapter.get_info();
                let software = info.device_type == DeviceType::Cpu;
                let kind = if software { ", software" } else { "" };
                Ok(GpuProbe {
                    compute: ComputeDevice {
                        device,
                        description: format!("GPU: {} ({:?}{kind})", info.name, info.backend),
                        is_gpu: true,
                    },
                    software,
                })
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the wgpu runtime panicked while starting".into()),
        }
    })
}

/// Runs the probe with the process's stderr on `/dev/null` when there is no desktop session
/// (`XDG_RUNTIME_DIR` unset): Mesa's Vulkan layers then look for a Wayland display and print
/// `error: XDG_RUNTIME_DIR is invalid…` once per adapter, which a plugin in a host or a CLI on
/// a server must not. The probe's own outcome is returned, not printed, so nothing of ours is
/// lost; other threads' stderr is off for the probe's fraction of a second, once per process.
#[cfg(unix)]
fn without_display_noise<T>(probe: impl FnOnce() -> T) -> T {
    use std::os::fd::AsRawFd;
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return probe();
    }
    let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
        return probe();
    };
    // SAFETY: descriptor calls on fds this function owns (the copy) or the process's stderr,
    // which is pointed back at the copy before returning.
    let saved = unsafe { libc::dup(libc::STDERR_FILENO) };
    if saved < 0 {
        return probe();
    }
    unsafe { libc::dup2(null.as_raw_fd(), libc::STDERR_FILENO) };
    let outcome = probe();
    unsafe {
        libc::dup2(saved, libc::STDERR_FILENO);
        libc::close(saved);
    }
    outcome
}

/// Elsewhere the loaders do not look for a display server on their own.
#[cfg(not(unix))]
fn without_display_noise<T>(probe: impl FnOnce() -> T) -> T {
    probe()
}

/// Whether this machine may have a hardware GPU worth probing for. On Linux every GPU driver
/// exposes a device node; elsewhere the probe is the only way to know.
fn hardware_gpu_may_exist() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let has_node = |dir: &str, prefix: &str| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
        })
    };
    // DRM render nodes (AMD, Intel, NVIDIA's DRM driver), NVIDIA's own nodes, WSL's GPU.
    has_node("/dev/dri", "renderD") || has_node("/dev", "nvidia") || has_node("/dev", "dxg")
}

/// Resolves a choice to a device. `auto` never fails; `gpu` fails when no adapter exists.
pub fn select_device(choice: BackendChoice) -> Result<ComputeDevice, NoGpu> {
    match choice {
        BackendChoice::Cpu => Ok(ComputeDevice::cpu()),
        BackendChoice::Gpu => match probe_gpu() {
            Ok(gpu) => Ok(gpu.compute.clone()),
            Err(reason) => Err(NoGpu(reason.clone())),
        },
        BackendChoice::Auto if !hardware_gpu_may_exist() => Ok(ComputeDevice::cpu()),
        BackendChoice::Auto => match probe_gpu() {
            Ok(gpu) if !gpu.software => Ok(gpu.compute.clone()),
            _ => Ok(ComputeDevice::cpu()),
        },
    }
}
