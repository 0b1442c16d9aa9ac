//! The live window's audio settings: input, sample rate and buffer size chosen in the editor.
//! nice-plug's wrapper cannot switch devices while it runs, so Apply starts the app again with
//! the new options and ends this one.

use egui::Ui;

/// Sample rates offered (the JACK backend uses the server's).
const RATES: [u32; 4] = [44_100, 48_000, 88_200, 96_000];
/// Buffer sizes offered.
const PERIODS: [u32; 6] = [64, 128, 256, 512, 1024, 2048];

/// What the user picked.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioChoice {
    /// JACK port to listen to, or ALSA device; `None` = the default.
    pub input: Option<String>,
    /// Whether `input` is a JACK port.
    pub jack: bool,
    /// Sample rate (ALSA).
    pub rate: u32,
    /// Buffer size (ALSA).
    pub period: u32,
}

impl AudioChoice {
    /// The wrapper options that open this choice.
    pub fn wrapper_args(&self) -> Vec<String> {
        let mut args: Vec<String> = if self.jack {
            vec!["--backend".into(), "jack".into()]
        } else {
            vec![
                "--backend".into(),
                "alsa".into(),
                "--sample-rate".into(),
                self.rate.to_string(),
                "--period-size".into(),
                self.period.to_string(),
            ]
        };
        match (&self.input, self.jack) {
            (Some(port), true) => args.extend(["--connect-jack-inputs".into(), port.clone()]),
            (Some(device), false) => args.extend(["--input-device".into(), device.clone()]),
            (None, _) => {}
        }
        args
    }
}

/// An input the app can listen to.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInput {
    /// JACK port or ALSA device name.
    pub name: String,
    /// Whether it is a JACK port.
    pub jack: bool,
    /// Channels and rate (ALSA) or the server rate (JACK).
    pub detail: String,
}

/// The inputs there are: JACK output ports (when a server runs) and ALSA input devices.
pub fn inputs() -> Vec<AudioInput> {
    use cpal::traits::{DeviceTrait, HostTrait};
    use jack::PortSpec;
    let mut found = Vec::new();
    if let Ok((client, _)) =
        jack::Client::new("timbrescope-inputs", jack::ClientOptions::NO_START_SERVER)
    {
        let spec = jack::AudioOut::default();
        let detail = format!("{} Hz", client.sample_rate());
        for port in client.ports(
            None,
            Some(spec.jack_port_type()),
            jack::PortFlags::IS_OUTPUT,
        ) {
            found.push(AudioInput {
                name: port,
                jack: true,
                detail: detail.clone(),
            });
        }
    }
    if let Ok(devices) = cpal::default_host().input_devices() {
        for device in devices {
            let Ok(description) = device.description() else {
                continue;
            };
            let detail = device
                .default_input_config()
                .map(|c| format!("{} ch, {} Hz", c.channels(), c.sample_rate()))
                .unwrap_or_else(|e| format!("unusable: {e}"));
            found.push(AudioInput {
                name: description.name().to_string(),
                jack: false,
                detail,
            });
        }
    }
    found
}

/// The controls for the editor's Audio section.
pub fn controls() -> timbrescope::editor::ExtraControls {
    let inputs = inputs();
    let mut choice = AudioChoice {
        input: None,
        jack: inputs.iter().any(|input| input.jack),
        rate: 48_000,
        period: 512,
    };
    Box::new(move |ui: &mut Ui| {
        let label = choice
            .input
            .clone()
            .unwrap_or_else(|| "default input".into());
        egui::ComboBox::from_label("Input")
            .selected_text(label)
            .show_ui(ui, |ui| {
                for input in &inputs {
                    let system = if input.jack { "JACK" } else { "ALSA" };
                    let text = format!("{} ({system})", input.name);
                    if ui
                        .selectable_label(choice.input.as_ref() == Some(&input.name), text)
                        .clicked()
                    {
                        choice.input = Some(input.name.clone());
                        choice.jack = input.jack;
                    }
                }
            });
        if !choice.jack {
            egui::ComboBox::from_label("Rate")
                .selected_text(format!("{} Hz", choice.rate))
                .show_ui(ui, |ui| {
                    for rate in RATES {
                        ui.selectable_value(&mut choice.rate, rate, format!("{rate} Hz"));
                    }
                });
            egui::ComboBox::from_label("Buffer")
                .selected_text(format!("{}", choice.period))
                .show_ui(ui, |ui| {
                    for period in PERIODS {
                        ui.selectable_value(&mut choice.period, period, period.to_string());
                    }
                });
        }
        if ui.button("Apply (restarts)").clicked() {
            restart_with(&choice.wrapper_args());
        }
    })
}

/// Starts the app again on the new input and ends this instance.
fn restart_with(args: &[String]) {
    match std::env::current_exe() {
        Ok(exe) => match std::process::Command::new(exe)
            .arg("live")
            .args(args)
            .spawn()
        {
            Ok(_) => std::process::exit(0),
            Err(e) => eprintln!("error: cannot restart on the new input: {e}"),
        },
        Err(e) => eprintln!("error: cannot restart on the new input: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_becomes_the_wrapper_options_that_open_it() {
        let alsa = AudioChoice {
            input: Some("USB Audio".into()),
            jack: false,
            rate: 96_000,
            period: 256,
        };
        assert_eq!(
            alsa.wrapper_args(),
            [
                "--backend",
                "alsa",
                "--sample-rate",
                "96000",
                "--period-size",
                "256",
                "--input-device",
                "USB Audio"
            ]
        );
        let jack = AudioChoice {
            input: Some("system:capture_1".into()),
            jack: true,
            rate: 48_000,
            period: 512,
        };
        assert_eq!(
            jack.wrapper_args(),
            [
                "--backend",
                "jack",
                "--connect-jack-inputs",
                "system:capture_1"
            ]
        );
    }
}
