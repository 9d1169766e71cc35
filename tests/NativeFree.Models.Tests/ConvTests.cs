using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Models.Tests;

public class ConvTests
{
    [Theory]
    [InlineData("conv2d(4, 3)", 2, 7, 6)]
    [InlineData("conv2d(6, 3x2, stride=2x1, padding=1x2, dilation=2x1, groups=2)", 4, 9, 7)]
    [InlineData("conv2d(4, 4, padding=same)", 2, 6, 5)]          // even kernel: torch puts the extra row/column after
    [InlineData("conv2d(2, 2x3, padding=same, dilation=3x1, bias=false)", 3, 8, 8)]
    [InlineData("conv(4, filter=3, w_std=1.5, b_std=0.2)", 2, 5, 5)]   // NTK multipliers σ_w/√fan_in, σ_b
    [InlineData("conv2d(3, 2, padding=valid)", 3, 4, 4)]
    public void Conv2dMatchesDirectLoops(string text, int c, int h, int w)
    {
        var spec = (ConvSpec)SpecParser.Parse(text).Layers[0];
        var net = (Conv<double>)spec.Build<double>([c, h, w], new Rng(1));
        if (net.Bias is not null) net.Bias.Value.CopyFrom(new Rng(5).Normal(0.0, 1.0, spec.OutChannels));
        var x = new Rng(2).Normal(0.0, 1.0, 3, c, h, w);
        var y = net.Predict(x);
        var pads = spec.PaddingFor([c, h, w]);
        double wm = net.Weight.Multiplier, bm = net.Bias?.Multiplier ?? 1;
        var wt = net.Weight.Value.ToArray().Select(v => v * wm).ToArray();
        var b = net.Bias?.Value.ToArray().Select(v => v * bm).ToArray();
        var expected = Oracles.Conv2d(x.ToArray(), 3, c, h, w, wt, spec.OutChannels, spec.Kernel[0], spec.Kernel[1], b,
            spec.Stride[0], spec.Stride[1], pads[0].Before, pads[0].After, pads[1].Before, pads[1].After, spec.Dilation[0], spec.Dilation[1], spec.Groups, out int oh, out int ow);
        Assert.Equal([3, spec.OutChannels, oh, ow], y.ShapeArray);
        Assert.Equal([spec.OutChannels, oh, ow], spec.OutputShape([c, h, w]));
        if (spec.Same) { Assert.Equal(h, oh); Assert.Equal(w, ow); }
        Oracles.Close(expected, y.AsSpan());
    }

    [Theory]
    [InlineData("conv1d(4, 3)", 2, 9)]
    [InlineData("conv1d(4, 3, stride=2, padding=2, dilation=2, groups=2)", 2, 11)]
    [InlineData("conv1d(3, 4, padding=same)", 3, 7)]
    public void Conv1dMatchesDirectLoops(string text, int c, int l)
    {
        var spec = (ConvSpec)SpecParser.Parse(text).Layers[0];
        var net = (Conv<double>)spec.Build<double>([c, l], new Rng(3));
        Assert.Equal([spec.OutChannels, c / spec.Groups, spec.Kernel[0]], net.Weight.Value.ShapeArray);
        var x = new Rng(4).Normal(0.0, 1.0, 2, c, l);
        var y = net.Predict(x);
        var p = spec.PaddingFor([c, l])[0];
        var expected = Oracles.Conv2d(x.ToArray(), 2, c, 1, l, net.Weight.Value.ToArray(), spec.OutChannels, 1, spec.Kernel[0], net.Bias!.Value.ToArray(),
            1, spec.Stride[0], 0, 0, p.Before, p.After, 1, spec.Dilation[0], spec.Groups, out _, out int ol);
        Assert.Equal([2, spec.OutChannels, ol], y.ShapeArray);
        Oracles.Close(expected, y.AsSpan());
    }

    [Fact]
    public void SamePaddingPutsTheExtraAfterAsTorch()
    {
        var spec = new Conv2dSpec(1, 4, 2) { Same = true, Dilation = [1, 3] };
        var pads = spec.PaddingFor([1, 5, 5]);
        Assert.Equal((1, 2), pads[0]);   // total 3
        Assert.Equal((1, 2), pads[1]);   // total 3·1
        // XLA's strided SAME for neural-tangents' conv: output ⌈L/s⌉.
        var nt = (ConvSpec)SpecParser.Parse("conv(2, filter=3, stride=2)").Layers[0];
        Assert.Equal([2, 4, 4], nt.OutputShape([1, 7, 7]));
        Assert.Throws<ArgumentException>(() => SpecParser.Parse("conv2d(2, 3, stride=2, padding=same)"));
        var e = Assert.Throws<ArgumentException>(() => new Conv2dSpec(2, 3) { Same = true, Stride = [2, 2] }.OutputShape([1, 7, 7]));
        Assert.Contains("stride 1", e.Message);
    }

    [Fact]
    public void InitUsesTorchFans()
    {
        var net = (Conv<double>)new Conv2dSpec(16, 3, 5) { Groups = 2 }.Build<double>([4, 9, 9], new Rng(6));
        Assert.Equal(2 * 3 * 5, net.Weight.FanIn);
        Assert.Equal(16 * 3 * 5, net.Weight.FanOut);
        double bound = 1 / Math.Sqrt(30);
        Assert.All(net.Weight.Value.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Contains(net.Weight.Value.ToArray(), v => Math.Abs(v) > 0.8 * bound);
        Assert.All(net.Bias!.Value.ToArray(), v => Assert.InRange(v, -bound, bound));
    }
}
