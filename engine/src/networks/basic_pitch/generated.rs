// Generated from ONNX "assets/basic-pitch/nmp.onnx" by burn-onnx
extern crate alloc;
use burn::prelude::*;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::nn::conv::Conv2dConfig;
use burn::tensor::Bytes;
use burn_store::BurnpackStore;
use burn_store::ModuleSnapshot;


#[derive(Module, Debug)]
pub struct Submodule1 {
    conv2d1: Conv2d,
    conv2d2: Conv2d,
    conv2d3: Conv2d,
    conv2d4: Conv2d,
    conv2d5: Conv2d,
    conv2d6: Conv2d,
    conv2d7: Conv2d,
    conv2d8: Conv2d,
    conv2d9: Conv2d,
    conv2d10: Conv2d,
    conv2d11: Conv2d,
    conv2d12: Conv2d,
    conv2d13: Conv2d,
    conv2d14: Conv2d,
    conv2d15: Conv2d,
    conv2d16: Conv2d,
    conv2d17: Conv2d,
    conv2d18: Conv2d,
    conv2d19: Conv2d,
    conv2d20: Conv2d,
    conv2d21: Conv2d,
    conv2d22: Conv2d,
    conv2d23: Conv2d,
    conv2d24: Conv2d,
    conv2d25: Conv2d,
    conv2d26: Conv2d,
    #[module(skip)]
    device: Device,
}
impl Submodule1 {
    #[allow(unused_variables)]
    pub fn new(device: &Device) -> Self {
        let conv2d1 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 256])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d2 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 256])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d3 = Conv2dConfig::new([1, 1], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d4 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 128])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d5 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 128])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d6 = Conv2dConfig::new([1, 1], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d7 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 64])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d8 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 64])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d9 = Conv2dConfig::new([1, 1], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d10 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 32])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d11 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 32])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d12 = Conv2dConfig::new([1, 1], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d13 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 16])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d14 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 16])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d15 = Conv2dConfig::new([1, 1], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d16 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 8])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d17 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 8])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d18 = Conv2dConfig::new([1, 1], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d19 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 4])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d20 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 4])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d21 = Conv2dConfig::new([1, 1], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d22 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d23 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d24 = Conv2dConfig::new([1, 1], [1, 256])
            .with_stride([1, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d25 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 1])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d26 = Conv2dConfig::new([1, 36], [1, 256])
            .with_stride([1, 1])
            .with_padding(PaddingConfig2d::Valid)
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        Self {
            conv2d1,
            conv2d2,
            conv2d3,
            conv2d4,
            conv2d5,
            conv2d6,
            conv2d7,
            conv2d8,
            conv2d9,
            conv2d10,
            conv2d11,
            conv2d12,
            conv2d13,
            conv2d14,
            conv2d15,
            conv2d16,
            conv2d17,
            conv2d18,
            conv2d19,
            conv2d20,
            conv2d21,
            conv2d22,
            conv2d23,
            conv2d24,
            conv2d25,
            conv2d26,
            device: device.clone(),
        }
    }
    #[allow(clippy::let_and_return, clippy::approx_constant)]
    pub fn forward(&self, serving_default_input_2_0: Tensor<3>) -> Tensor<4> {
        let reshape1_out1 = serving_default_input_2_0.reshape([-1, 1, 43844]);
        let slice1_out1 = reshape1_out1
            .slice(s![0..2147483647, 0..2147483647, 0..2147483647]);
        let pad1_out1 = slice1_out1
            .clone()
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (128usize, 128usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let reshape2_out1 = pad1_out1.reshape([-1, 44100, 1]);
        let unsqueeze1_out1: Tensor<4> = reshape2_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape3_out1 = unsqueeze1_out1.reshape([-1, 1, 1, 44100]);
        let conv2d1_out1 = self.conv2d1.forward(reshape3_out1.clone());
        let neg1_out1 = conv2d1_out1.neg();
        let transpose1_out1 = neg1_out1.permute([0, 2, 3, 1]);
        let reshape4_out1 = transpose1_out1.reshape([-1, 172, 36]);
        let conv2d2_out1 = self.conv2d2.forward(reshape3_out1);
        let transpose2_out1 = conv2d2_out1.permute([0, 2, 3, 1]);
        let reshape5_out1 = transpose2_out1.reshape([-1, 172, 36]);
        let pad2_out1 = slice1_out1
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (127usize, 127usize)],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let reshape6_out1 = pad2_out1.reshape([-1, 44098, 1]);
        let unsqueeze2_out1: Tensor<4> = reshape6_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape7_out1 = unsqueeze2_out1.reshape([-1, 1, 1, 44098]);
        let conv2d3_out1 = self.conv2d3.forward(reshape7_out1);
        let reshape8_out1 = conv2d3_out1.reshape([-1, 1, 21922]);
        let pad3_out1 = reshape8_out1
            .clone()
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (128usize, 128usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let reshape9_out1 = pad3_out1.reshape([-1, 22178, 1]);
        let unsqueeze3_out1: Tensor<4> = reshape9_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape10_out1 = unsqueeze3_out1.reshape([-1, 1, 1, 22178]);
        let conv2d4_out1 = self.conv2d4.forward(reshape10_out1.clone());
        let neg2_out1 = conv2d4_out1.neg();
        let transpose3_out1 = neg2_out1.permute([0, 2, 3, 1]);
        let reshape11_out1 = transpose3_out1.reshape([-1, 172, 36]);
        let conv2d5_out1 = self.conv2d5.forward(reshape10_out1);
        let transpose4_out1 = conv2d5_out1.permute([0, 2, 3, 1]);
        let reshape12_out1 = transpose4_out1.reshape([-1, 172, 36]);
        let pad4_out1 = reshape8_out1
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (127usize, 127usize)],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let reshape13_out1 = pad4_out1.reshape([-1, 22176, 1]);
        let unsqueeze4_out1: Tensor<4> = reshape13_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape14_out1 = unsqueeze4_out1.reshape([-1, 1, 1, 22176]);
        let conv2d6_out1 = self.conv2d6.forward(reshape14_out1);
        let reshape15_out1 = conv2d6_out1.reshape([-1, 1, 10961]);
        let pad5_out1 = reshape15_out1
            .clone()
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (128usize, 128usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let reshape16_out1 = pad5_out1.reshape([-1, 11217, 1]);
        let unsqueeze5_out1: Tensor<4> = reshape16_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape17_out1 = unsqueeze5_out1.reshape([-1, 1, 1, 11217]);
        let conv2d7_out1 = self.conv2d7.forward(reshape17_out1.clone());
        let neg3_out1 = conv2d7_out1.neg();
        let transpose5_out1 = neg3_out1.permute([0, 2, 3, 1]);
        let reshape18_out1 = transpose5_out1.reshape([-1, 172, 36]);
        let conv2d8_out1 = self.conv2d8.forward(reshape17_out1);
        let transpose6_out1 = conv2d8_out1.permute([0, 2, 3, 1]);
        let reshape19_out1 = transpose6_out1.reshape([-1, 172, 36]);
        let pad6_out1 = reshape15_out1
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (127usize, 127usize)],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let reshape20_out1 = pad6_out1.reshape([-1, 11215, 1]);
        let unsqueeze6_out1: Tensor<4> = reshape20_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape21_out1 = unsqueeze6_out1.reshape([-1, 1, 1, 11215]);
        let conv2d9_out1 = self.conv2d9.forward(reshape21_out1);
        let reshape22_out1 = conv2d9_out1.reshape([-1, 1, 5480]);
        let pad7_out1 = reshape22_out1
            .clone()
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (128usize, 128usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let reshape23_out1 = pad7_out1.reshape([-1, 5736, 1]);
        let unsqueeze7_out1: Tensor<4> = reshape23_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape24_out1 = unsqueeze7_out1.reshape([-1, 1, 1, 5736]);
        let conv2d10_out1 = self.conv2d10.forward(reshape24_out1.clone());
        let transpose7_out1 = conv2d10_out1.permute([0, 2, 3, 1]);
        let reshape25_out1 = transpose7_out1.reshape([-1, 172, 36]);
        let conv2d11_out1 = self.conv2d11.forward(reshape24_out1);
        let neg4_out1 = conv2d11_out1.neg();
        let transpose8_out1 = neg4_out1.permute([0, 2, 3, 1]);
        let reshape26_out1 = transpose8_out1.reshape([-1, 172, 36]);
        let pad8_out1 = reshape22_out1
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (127usize, 127usize)],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let reshape27_out1 = pad8_out1.reshape([-1, 5734, 1]);
        let unsqueeze8_out1: Tensor<4> = reshape27_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape28_out1 = unsqueeze8_out1.reshape([-1, 1, 1, 5734]);
        let conv2d12_out1 = self.conv2d12.forward(reshape28_out1);
        let reshape29_out1 = conv2d12_out1.reshape([-1, 1, 2740]);
        let pad9_out1 = reshape29_out1
            .clone()
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (128usize, 128usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let reshape30_out1 = pad9_out1.reshape([-1, 2996, 1]);
        let unsqueeze9_out1: Tensor<4> = reshape30_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape31_out1 = unsqueeze9_out1.reshape([-1, 1, 1, 2996]);
        let conv2d13_out1 = self.conv2d13.forward(reshape31_out1.clone());
        let neg5_out1 = conv2d13_out1.neg();
        let transpose9_out1 = neg5_out1.permute([0, 2, 3, 1]);
        let reshape32_out1 = transpose9_out1.reshape([-1, 172, 36]);
        let conv2d14_out1 = self.conv2d14.forward(reshape31_out1);
        let transpose10_out1 = conv2d14_out1.permute([0, 2, 3, 1]);
        let reshape33_out1 = transpose10_out1.reshape([-1, 172, 36]);
        let pad10_out1 = reshape29_out1
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (127usize, 127usize)],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let reshape34_out1 = pad10_out1.reshape([-1, 2994, 1]);
        let unsqueeze10_out1: Tensor<4> = reshape34_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape35_out1 = unsqueeze10_out1.reshape([-1, 1, 1, 2994]);
        let conv2d15_out1 = self.conv2d15.forward(reshape35_out1);
        let reshape36_out1 = conv2d15_out1.reshape([-1, 1, 1370]);
        let pad11_out1 = reshape36_out1
            .clone()
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (128usize, 128usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let reshape37_out1 = pad11_out1.reshape([-1, 1626, 1]);
        let unsqueeze11_out1: Tensor<4> = reshape37_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape38_out1 = unsqueeze11_out1.reshape([-1, 1, 1, 1626]);
        let conv2d16_out1 = self.conv2d16.forward(reshape38_out1.clone());
        let neg6_out1 = conv2d16_out1.neg();
        let transpose11_out1 = neg6_out1.permute([0, 2, 3, 1]);
        let reshape39_out1 = transpose11_out1.reshape([-1, 172, 36]);
        let conv2d17_out1 = self.conv2d17.forward(reshape38_out1);
        let transpose12_out1 = conv2d17_out1.permute([0, 2, 3, 1]);
        let reshape40_out1 = transpose12_out1.reshape([-1, 172, 36]);
        let pad12_out1 = reshape36_out1
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (127usize, 127usize)],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let reshape41_out1 = pad12_out1.reshape([-1, 1624, 1]);
        let unsqueeze12_out1: Tensor<4> = reshape41_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape42_out1 = unsqueeze12_out1.reshape([-1, 1, 1, 1624]);
        let conv2d18_out1 = self.conv2d18.forward(reshape42_out1);
        let reshape43_out1 = conv2d18_out1.reshape([-1, 1, 685]);
        let pad13_out1 = reshape43_out1
            .clone()
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (128usize, 128usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let reshape44_out1 = pad13_out1.reshape([-1, 941, 1]);
        let unsqueeze13_out1: Tensor<4> = reshape44_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape45_out1 = unsqueeze13_out1.reshape([-1, 1, 1, 941]);
        let conv2d19_out1 = self.conv2d19.forward(reshape45_out1.clone());
        let neg7_out1 = conv2d19_out1.neg();
        let transpose13_out1 = neg7_out1.permute([0, 2, 3, 1]);
        let reshape46_out1 = transpose13_out1.reshape([-1, 172, 36]);
        let conv2d20_out1 = self.conv2d20.forward(reshape45_out1);
        let transpose14_out1 = conv2d20_out1.permute([0, 2, 3, 1]);
        let reshape47_out1 = transpose14_out1.reshape([-1, 172, 36]);
        let pad14_out1 = reshape43_out1
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (127usize, 127usize)],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let reshape48_out1 = pad14_out1.reshape([-1, 939, 1]);
        let unsqueeze14_out1: Tensor<4> = reshape48_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape49_out1 = unsqueeze14_out1.reshape([-1, 1, 1, 939]);
        let conv2d21_out1 = self.conv2d21.forward(reshape49_out1);
        let reshape50_out1 = conv2d21_out1.reshape([-1, 1, 342]);
        let pad15_out1 = reshape50_out1
            .clone()
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (128usize, 128usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let reshape51_out1 = pad15_out1.reshape([-1, 598, 1]);
        let unsqueeze15_out1: Tensor<4> = reshape51_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape52_out1 = unsqueeze15_out1.reshape([-1, 1, 1, 598]);
        let conv2d22_out1 = self.conv2d22.forward(reshape52_out1.clone());
        let neg8_out1 = conv2d22_out1.neg();
        let transpose15_out1 = neg8_out1.permute([0, 2, 3, 1]);
        let reshape53_out1 = transpose15_out1.reshape([-1, 172, 36]);
        let conv2d23_out1 = self.conv2d23.forward(reshape52_out1);
        let transpose16_out1 = conv2d23_out1.permute([0, 2, 3, 1]);
        let reshape54_out1 = transpose16_out1.reshape([-1, 172, 36]);
        let pad16_out1 = reshape50_out1
            .pad(
                [(0usize, 0usize), (0usize, 0usize), (127usize, 127usize)],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let reshape55_out1 = pad16_out1.reshape([-1, 596, 1]);
        let unsqueeze16_out1: Tensor<4> = reshape55_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape56_out1 = unsqueeze16_out1.reshape([-1, 1, 1, 596]);
        let conv2d24_out1 = self.conv2d24.forward(reshape56_out1);
        let reshape57_out1 = conv2d24_out1.reshape([-1, 171, 1]);
        let pad17_out1 = reshape57_out1
            .pad(
                [(0usize, 0usize), (128usize, 128usize), (0usize, 0usize)],
                burn::tensor::ops::PadMode::Reflect,
            );
        let unsqueeze17_out1: Tensor<4> = pad17_out1.unsqueeze_dims::<4>(&[-3]);
        let reshape58_out1 = unsqueeze17_out1.reshape([-1, 1, 1, 427]);
        let conv2d25_out1 = self.conv2d25.forward(reshape58_out1.clone());
        let neg9_out1 = conv2d25_out1.neg();
        let transpose17_out1 = neg9_out1.permute([0, 2, 3, 1]);
        let reshape59_out1 = transpose17_out1.reshape([-1, 172, 36]);
        let conv2d26_out1 = self.conv2d26.forward(reshape58_out1);
        let transpose18_out1 = conv2d26_out1.permute([0, 2, 3, 1]);
        let reshape60_out1 = transpose18_out1.reshape([-1, 172, 36]);
        let unsqueeze18_out1: Tensor<4> = reshape59_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze19_out1: Tensor<4> = reshape60_out1.unsqueeze_dims::<4>(&[3]);
        let concat1_out1 = burn::tensor::Tensor::cat(
            [unsqueeze19_out1, unsqueeze18_out1].into(),
            3,
        );
        let unsqueeze20_out1: Tensor<4> = reshape53_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze21_out1: Tensor<4> = reshape54_out1.unsqueeze_dims::<4>(&[3]);
        let concat2_out1 = burn::tensor::Tensor::cat(
            [unsqueeze21_out1, unsqueeze20_out1].into(),
            3,
        );
        let unsqueeze22_out1: Tensor<4> = reshape46_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze23_out1: Tensor<4> = reshape47_out1.unsqueeze_dims::<4>(&[3]);
        let concat3_out1 = burn::tensor::Tensor::cat(
            [unsqueeze23_out1, unsqueeze22_out1].into(),
            3,
        );
        let unsqueeze24_out1: Tensor<4> = reshape39_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze25_out1: Tensor<4> = reshape40_out1.unsqueeze_dims::<4>(&[3]);
        let concat4_out1 = burn::tensor::Tensor::cat(
            [unsqueeze25_out1, unsqueeze24_out1].into(),
            3,
        );
        let unsqueeze26_out1: Tensor<4> = reshape32_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze27_out1: Tensor<4> = reshape33_out1.unsqueeze_dims::<4>(&[3]);
        let concat5_out1 = burn::tensor::Tensor::cat(
            [unsqueeze27_out1, unsqueeze26_out1].into(),
            3,
        );
        let unsqueeze28_out1: Tensor<4> = reshape26_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze29_out1: Tensor<4> = reshape25_out1.unsqueeze_dims::<4>(&[3]);
        let concat6_out1 = burn::tensor::Tensor::cat(
            [unsqueeze29_out1, unsqueeze28_out1].into(),
            3,
        );
        let unsqueeze30_out1: Tensor<4> = reshape18_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze31_out1: Tensor<4> = reshape19_out1.unsqueeze_dims::<4>(&[3]);
        let concat7_out1 = burn::tensor::Tensor::cat(
            [unsqueeze31_out1, unsqueeze30_out1].into(),
            3,
        );
        let unsqueeze32_out1: Tensor<4> = reshape12_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze33_out1: Tensor<4> = reshape11_out1.unsqueeze_dims::<4>(&[3]);
        let concat8_out1 = burn::tensor::Tensor::cat(
            [unsqueeze32_out1, unsqueeze33_out1].into(),
            3,
        );
        let unsqueeze34_out1: Tensor<4> = reshape4_out1.unsqueeze_dims::<4>(&[3]);
        let unsqueeze35_out1: Tensor<4> = reshape5_out1.unsqueeze_dims::<4>(&[3]);
        let concat9_out1 = burn::tensor::Tensor::cat(
            [unsqueeze35_out1, unsqueeze34_out1].into(),
            3,
        );
        let concat10_out1 = burn::tensor::Tensor::cat(
            [concat8_out1, concat9_out1].into(),
            2,
        );
        let concat11_out1 = burn::tensor::Tensor::cat(
            [concat7_out1, concat10_out1].into(),
            2,
        );
        let concat12_out1 = burn::tensor::Tensor::cat(
            [concat6_out1, concat11_out1].into(),
            2,
        );
        let concat13_out1 = burn::tensor::Tensor::cat(
            [concat5_out1, concat12_out1].into(),
            2,
        );
        let concat14_out1 = burn::tensor::Tensor::cat(
            [concat4_out1, concat13_out1].into(),
            2,
        );
        let concat15_out1 = burn::tensor::Tensor::cat(
            [concat3_out1, concat14_out1].into(),
            2,
        );
        let concat16_out1 = burn::tensor::Tensor::cat(
            [concat2_out1, concat15_out1].into(),
            2,
        );
        let concat17_out1 = burn::tensor::Tensor::cat(
            [concat1_out1, concat16_out1].into(),
            2,
        );
        concat17_out1
    }
}
#[derive(Module, Debug)]
pub struct Submodule2 {
    constant59: burn::module::Param<Tensor<3>>,
    constant56: burn::module::Param<Tensor<1>>,
    constant54: burn::module::Param<Tensor<1>>,
    constant57: burn::module::Param<Tensor<1>>,
    constant66: burn::module::Param<Tensor<1>>,
    constant65: burn::module::Param<Tensor<1>>,
    conv2d27: Conv2d,
    conv2d28: Conv2d,
    conv2d29: Conv2d,
    conv2d30: Conv2d,
    conv2d31: Conv2d,
    conv2d32: Conv2d,
    #[module(skip)]
    device: Device,
}
impl Submodule2 {
    #[allow(unused_variables)]
    pub fn new(device: &Device) -> Self {
        let constant59: burn::module::Param<Tensor<3>> = burn::module::Param::uninitialized(
            burn::module::ParamId::new(),
            move |device, _require_grad| Tensor::<
                3,
            >::zeros([309, 1, 1], (device, burn::tensor::DType::F32)),
            device.clone(),
            false,
            [309, 1, 1].into(),
        );
        let constant56: burn::module::Param<Tensor<1>> = burn::module::Param::uninitialized(
            burn::module::ParamId::new(),
            move |device, _require_grad| Tensor::<
                1,
            >::from_data(
                burn::tensor::TensorData::from([0.0000000001000000013351432f64]),
                (device, burn::tensor::DType::F32),
            ),
            device.clone(),
            false,
            [1].into(),
        );
        let constant54: burn::module::Param<Tensor<1>> = burn::module::Param::uninitialized(
            burn::module::ParamId::new(),
            move |device, _require_grad| Tensor::<
                1,
            >::from_data(
                burn::tensor::TensorData::from([0.4342944622039795f64]),
                (device, burn::tensor::DType::F32),
            ),
            device.clone(),
            false,
            [1].into(),
        );
        let constant57: burn::module::Param<Tensor<1>> = burn::module::Param::uninitialized(
            burn::module::ParamId::new(),
            move |device, _require_grad| Tensor::<
                1,
            >::from_data(
                burn::tensor::TensorData::from([10f64]),
                (device, burn::tensor::DType::F32),
            ),
            device.clone(),
            false,
            [1].into(),
        );
        let constant66: burn::module::Param<Tensor<1>> = burn::module::Param::uninitialized(
            burn::module::ParamId::new(),
            move |device, _require_grad| Tensor::<
                1,
            >::zeros([1], (device, burn::tensor::DType::F32)),
            device.clone(),
            false,
            [1].into(),
        );
        let constant65: burn::module::Param<Tensor<1>> = burn::module::Param::uninitialized(
            burn::module::ParamId::new(),
            move |device, _require_grad| Tensor::<
                1,
            >::zeros([1], (device, burn::tensor::DType::F32)),
            device.clone(),
            false,
            [1].into(),
        );
        let conv2d27 = Conv2dConfig::new([8, 32], [5, 5])
            .with_stride([1, 3])
            .with_padding(PaddingConfig2d::Explicit(2, 1, 2, 1))
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d28 = Conv2dConfig::new([8, 8], [3, 39])
            .with_stride([1, 1])
            .with_padding(PaddingConfig2d::Explicit(1, 19, 1, 19))
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d29 = Conv2dConfig::new([8, 1], [5, 5])
            .with_stride([1, 1])
            .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2))
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d30 = Conv2dConfig::new([1, 32], [7, 7])
            .with_stride([1, 3])
            .with_padding(PaddingConfig2d::Explicit(3, 2, 3, 2))
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d31 = Conv2dConfig::new([32, 1], [7, 3])
            .with_stride([1, 1])
            .with_padding(PaddingConfig2d::Explicit(3, 1, 3, 1))
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        let conv2d32 = Conv2dConfig::new([33, 1], [3, 3])
            .with_stride([1, 1])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_dilation([1, 1])
            .with_groups(1)
            .with_bias(true)
            .init(device);
        Self {
            constant59,
            constant56,
            constant54,
            constant57,
            constant66,
            constant65,
            conv2d27,
            conv2d28,
            conv2d29,
            conv2d30,
            conv2d31,
            conv2d32,
            device: device.clone(),
        }
    }
    #[allow(clippy::let_and_return, clippy::approx_constant)]
    pub fn forward(
        &self,
        concat17_out1: Tensor<4>,
    ) -> (Tensor<3>, Tensor<3>, Tensor<3>) {
        let slice2_out1 = concat17_out1
            .slice(s![0..2147483647, 0..2147483647, - 309..2147483647, 0..2147483647]);
        let transpose19_out1 = slice2_out1.permute([0, 2, 1, 3]);
        let constant59_out1 = self.constant59.val();
        let mul1_out1 = transpose19_out1
            .mul((constant59_out1).unsqueeze_dims(&[0isize]));
        let mul2_out1 = mul1_out1.clone().mul(mul1_out1);
        let reducesum1_out1 = { mul2_out1.sum_dim(3usize).squeeze_dims::<3usize>(&[3]) };
        let sqrt1_out1 = reducesum1_out1.sqrt();
        let transpose20_out1 = sqrt1_out1.permute([0, 2, 1]);
        let mul3_out1 = transpose20_out1.clone().mul(transpose20_out1.clone());
        let constant56_out1 = self.constant56.val();
        let add1_out1 = mul3_out1
            .add((constant56_out1).unsqueeze_dims(&[0isize, 1isize]));
        let log1_out1 = add1_out1.log();
        let constant54_out1 = self.constant54.val();
        let mul4_out1 = log1_out1
            .mul((constant54_out1).unsqueeze_dims(&[0isize, 1isize]));
        let constant57_out1 = self.constant57.val();
        let mul5_out1 = mul4_out1
            .mul((constant57_out1).unsqueeze_dims(&[0isize, 1isize]));
        let reducemin1_out1 = {
            mul5_out1
                .clone()
                .min_dim(1usize)
                .min_dim(2usize)
                .squeeze_dims::<1usize>(&[1, 2])
        };
        let shape1_out1: [i64; 3] = {
            let axes = &transpose20_out1.dims()[0..3];
            let mut output = [0i64; 3];
            for i in 0..3 {
                output[i] = axes[i] as i64;
            }
            output
        };
        let slice3_out1: [i64; 1] = shape1_out1[0..1].try_into().unwrap();
        let constant87_out1: [i64; 1] = [1i64];
        let concat18_out1: [i64; 3usize] = [
            &slice3_out1[..],
            &constant87_out1[..],
            &constant87_out1[..],
        ]
            .concat()
            .try_into()
            .unwrap();
        let reshape61_out1 = reducemin1_out1.reshape(concat18_out1);
        let sub1_out1 = mul5_out1.sub(reshape61_out1);
        let reducemax1_out1 = {
            sub1_out1
                .clone()
                .max_dim(1usize)
                .max_dim(2usize)
                .squeeze_dims::<1usize>(&[1, 2])
        };
        let reshape62_out1 = reducemax1_out1.reshape(concat18_out1);
        let div1_out1 = sub1_out1.div(reshape62_out1.clone());
        let constant55_out1 = 0f32;
        let equal1_out1 = reshape62_out1.equal_elem(constant55_out1);
        let where1_out1 = div1_out1.mask_fill(equal1_out1, constant55_out1);
        let reshape63_out1 = where1_out1.reshape(shape1_out1);
        let unsqueeze36_out1: Tensor<4> = reshape63_out1.unsqueeze_dims::<4>(&[-1]);
        let constant66_out1 = self.constant66.val();
        let mul6_out1 = unsqueeze36_out1
            .mul((constant66_out1).unsqueeze_dims(&[0isize, 1isize, 2isize]));
        let constant65_out1 = self.constant65.val();
        let add2_out1 = mul6_out1
            .add((constant65_out1).unsqueeze_dims(&[0isize, 1isize, 2isize]));
        let slice4_out1 = add2_out1
            .clone()
            .slice(s![0..2147483647, 0..2147483647, 101..2147483647, 0..2147483647]);
        let pad18_out1 = slice4_out1
            .pad(
                [
                    (0usize, 0usize),
                    (0usize, 0usize),
                    (0usize, 101usize),
                    (0usize, 0usize),
                ],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let slice5_out1 = add2_out1
            .clone()
            .slice(s![0..2147483647, 0..2147483647, 93..2147483647, 0..2147483647]);
        let pad19_out1 = slice5_out1
            .pad(
                [
                    (0usize, 0usize),
                    (0usize, 0usize),
                    (0usize, 93usize),
                    (0usize, 0usize),
                ],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let slice6_out1 = add2_out1
            .clone()
            .slice(s![0..2147483647, 0..2147483647, 84..2147483647, 0..2147483647]);
        let pad20_out1 = slice6_out1
            .pad(
                [
                    (0usize, 0usize),
                    (0usize, 0usize),
                    (0usize, 84usize),
                    (0usize, 0usize),
                ],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let slice7_out1 = add2_out1
            .clone()
            .slice(s![0..2147483647, 0..2147483647, 72..2147483647, 0..2147483647]);
        let pad21_out1 = slice7_out1
            .pad(
                [
                    (0usize, 0usize),
                    (0usize, 0usize),
                    (0usize, 72usize),
                    (0usize, 0usize),
                ],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let slice8_out1 = add2_out1
            .clone()
            .slice(s![0..2147483647, 0..2147483647, 57..2147483647, 0..2147483647]);
        let pad22_out1 = slice8_out1
            .pad(
                [
                    (0usize, 0usize),
                    (0usize, 0usize),
                    (0usize, 57usize),
                    (0usize, 0usize),
                ],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let slice9_out1 = add2_out1
            .clone()
            .slice(s![0..2147483647, 0..2147483647, 36..2147483647, 0..2147483647]);
        let pad23_out1 = slice9_out1
            .pad(
                [
                    (0usize, 0usize),
                    (0usize, 0usize),
                    (0usize, 36usize),
                    (0usize, 0usize),
                ],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let slice10_out1 = add2_out1
            .clone()
            .slice(s![0..2147483647, 0..2147483647, 0.. - 36, 0..2147483647]);
        let pad24_out1 = slice10_out1
            .pad(
                [
                    (0usize, 0usize),
                    (0usize, 0usize),
                    (36usize, 0usize),
                    (0usize, 0usize),
                ],
                burn::tensor::ops::PadMode::Constant(0f32),
            );
        let concat19_out1 = burn::tensor::Tensor::cat(
            [
                pad24_out1,
                add2_out1,
                pad23_out1,
                pad22_out1,
                pad21_out1,
                pad20_out1,
                pad19_out1,
                pad18_out1,
            ]
                .into(),
            3,
        );
        let slice11_out1 = concat19_out1
            .slice(s![0..2147483647, 0..2147483647, 0..264, 0..2147483647]);
        let transpose21_out1 = slice11_out1.permute([0, 3, 1, 2]);
        let conv2d27_out1 = self.conv2d27.forward(transpose21_out1.clone());
        let conv2d28_out1 = self.conv2d28.forward(transpose21_out1);
        let relu1_out1 = burn::tensor::activation::relu(conv2d28_out1);
        let conv2d29_out1 = self.conv2d29.forward(relu1_out1);
        let sigmoid1_out1 = burn::tensor::activation::sigmoid(conv2d29_out1);
        let reshape64_out1 = sigmoid1_out1.reshape([-1, 172, 264]);
        let unsqueeze37_out1: Tensor<4> = reshape64_out1
            .clone()
            .unsqueeze_dims::<4>(&[-1]);
        let reshape65_out1 = unsqueeze37_out1.reshape([-1, 1, 172, 264]);
        let conv2d30_out1 = self.conv2d30.forward(reshape65_out1);
        let relu2_out1 = burn::tensor::activation::relu(conv2d30_out1);
        let conv2d31_out1 = self.conv2d31.forward(relu2_out1);
        let sigmoid2_out1 = burn::tensor::activation::sigmoid(conv2d31_out1);
        let reshape66_out1 = sigmoid2_out1.clone().reshape([-1, 172, 88]);
        let relu3_out1 = burn::tensor::activation::relu(conv2d27_out1);
        let concat20_out1 = burn::tensor::Tensor::cat(
            [sigmoid2_out1, relu3_out1].into(),
            1,
        );
        let conv2d32_out1 = self.conv2d32.forward(concat20_out1);
        let sigmoid3_out1 = burn::tensor::activation::sigmoid(conv2d32_out1);
        let reshape67_out1 = sigmoid3_out1.reshape([-1, 172, 88]);
        (reshape67_out1, reshape66_out1, reshape64_out1)
    }
}

#[derive(Module, Debug)]
pub struct Model {
    submodule1: Submodule1,
    submodule2: Submodule2,
    #[module(skip)]
    device: Device,
}


extern crate std;

impl Default for Model {
    fn default() -> Self {
        Self::from_file("assets/basic-pitch/nmp.bpk", &Default::default())
    }
}

impl Model {
    /// Load model weights from a burnpack file.
    pub fn from_file<P: AsRef<std::path::Path>>(file: P, device: &Device) -> Self {
        let mut model = Self::new(device);
        let mut store = BurnpackStore::from_file(&file);
        model
            .load_from(&mut store)
            .unwrap_or_else(|e| {
                panic!("Failed to load burnpack file {}: {e}", file.as_ref().display())
            });
        model
    }

    /// Load model weights from in-memory bytes.
    ///
    /// The bytes must be the contents of a `.bpk` file.
    pub fn from_bytes(bytes: Bytes, device: &Device) -> Self {
        let mut model = Self::new(device);
        let mut store = BurnpackStore::from_bytes(Some(bytes));
        model
            .load_from(&mut store)
            .unwrap_or_else(|e| panic!("Failed to load burnpack bytes: {e}"));
        model
    }
}

impl Model {
    #[allow(unused_variables)]
    pub fn new(device: &Device) -> Self {
        let submodule1 = Submodule1::new(device);
        let submodule2 = Submodule2::new(device);
        Self {
            submodule1,
            submodule2,
            device: device.clone(),
        }
    }

    #[allow(clippy::let_and_return, clippy::approx_constant)]
    pub fn forward(
        &self,
        serving_default_input_2_0: Tensor<3>,
    ) -> (Tensor<3>, Tensor<3>, Tensor<3>) {
        let concat17_out1 = self.submodule1.forward(serving_default_input_2_0);
        let (reshape67_out1, reshape66_out1, reshape64_out1) = self
            .submodule2
            .forward(concat17_out1);
        (reshape67_out1, reshape66_out1, reshape64_out1)
    }
}
