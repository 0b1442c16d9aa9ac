//! Choosing where inference runs: a hardware GPU through burn-wgpu when one exists, burn's
//! flex CPU backend otherwise, or either one forced.
//!
//! wgpu can be initialised once per process, so the probe runs once and its outcome is kept.
//! A software adapter (llvmpipe, lavapipe: `DeviceType::Cpu`) runs ~12× slower than flex, so
//! `auto` treats it as no GPU; forcing `gpu` still uses it (the CPU-side tests of the GPU path).

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
        let init = std::panic::catch_unwind(|| {
            Device::wgpu_options()
                .graphics_api(graphics_api())
                .init_with_setup()
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

/// Resolves a choice to a device. `auto` never fails; `gpu` fails when no adapter exists.
pub fn select_device(choice: BackendChoice) -> Result<ComputeDevice, NoGpu> {
    match choice {
        BackendChoice::Cpu => Ok(ComputeDevice::cpu()),
        BackendChoice::Gpu => match probe_gpu() {
            Ok(gpu) => Ok(gpu.compute.clone()),
            Err(reason) => Err(NoGpu(reason.clone())),
        },
        BackendChoice::Auto => match probe_gpu() {
            Ok(gpu) if !gpu.software => Ok(gpu.compute.clone()),
            _ => Ok(ComputeDevice::cpu()),
        },
    }
}
