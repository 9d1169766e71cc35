using NativeFree.Autograd;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Models.Tests;

public class PoolingTests
{
    [Theory]
    [InlineData("max_pool(2)", 6, 7, true)]
    [InlineData("max_pool(3, stride=2, padding=1)", 7, 6, true)]
    [InlineData("avg_pool(2x3, stride=1x2)", 5, 7, false)]
    [InlineData("avg_pool(3, stride=2, padding=1)", 6, 6, false)]
    [InlineData("max_pool(2, ceil_mode=true)", 6, 6, true)]      // ceil_mode that adds no window runs today
    public void Pool2dMatchesLoops(string text, int h, int w, bool max)
    {
        var spec = (PoolSpec)SpecParser.Parse(text).Layers[0];
        var x = new Rng(1).Normal(0.0, 1.0, 2, 3, h, w);
        var y = spec.Build<double>([3, h, w], new Rng(0)).Predict(x);
        var e = Oracles.Pool(x.ToArray(), 6, h, w, spec.Kernel[0], spec.Kernel[1], spec.Stride[0], spec.Stride[1], spec.Padding[0], spec.Padding[1], max, out int oh, out int ow);
        Assert.Equal([2, 3, oh, ow], y.ShapeArray);
        Oracles.Close(e, y.AsSpan(), 1e-12);
    }

    [Theory]
    [InlineData("max_pool1d(3, stride=2, padding=1)", true)]
    [InlineData("avg_pool1d(2)", false)]
    public void Pool1dMatchesLoops(string text, bool max)
    {
        var spec = (PoolSpec)SpecParser.Parse(text).Layers[0];
        var x = new Rng(2).Normal(0.0, 1.0, 2, 3, 9);
        var y = spec.Build<double>([3, 9], new Rng(0)).Predict(x);
        var e = Oracles.Pool(x.ToArray(), 6, 1, 9, 1, spec.Kernel[0], 1, spec.Stride[0], 0, spec.Padding[0], max, out _, out int ol);
        Assert.Equal([2, 3, ol], y.ShapeArray);
        Oracles.Close(e, y.AsSpan(), 1e-12);
    }

    // torch's pooling_output_shape (aten/src/ATen/native/Pool.h, dilation 1), written out as torch writes it.
    private static int TorchOutLength(int length, int k, int s, int p, bool ceil)
    {
        int o = (int)Math.Floor((length + 2 * p - (k - 1) - 1 + (ceil ? s - 1 : 0)) / (double)s) + 1;
        if (ceil && (o - 1) * s >= length + p) o--;
        return o;
    }

    // Each row was produced by torch 2.x: F.max_pool1d(torch.zeros(1, 1, L), k, s, p, ceil_mode=False/True).shape[-1].
    [Theory]
    [InlineData(5, 2, 2, 0, 2, 3)]
    [InlineData(5, 2, 2, 1, 3, 3)]    // ⌈5/2⌉ + 1 = 4 would start in the right padding: dropped
    [InlineData(7, 2, 2, 0, 3, 4)]
    [InlineData(6, 3, 2, 1, 3, 4)]
    [InlineData(7, 3, 2, 1, 4, 4)]
    [InlineData(8, 3, 3, 1, 3, 3)]    // the same drop with stride 3
    [InlineData(4, 3, 3, 1, 2, 2)]
    [InlineData(9, 4, 3, 2, 4, 4)]
    [InlineData(1, 1, 1, 0, 1, 1)]
    [InlineData(2, 3, 2, 1, 1, 2)]
    [InlineData(10, 5, 4, 2, 3, 3)]
    public void OutputLengthsAreTorchs(int length, int k, int s, int p, int floor, int ceil)
    {
        foreach (var (mode, expected) in new[] { (false, floor), (true, ceil) })
        {
            Assert.Equal(expected, TorchOutLength(length, k, s, p, mode));
            var max = new MaxPoolSpec(k) { Stride = [s], Padding = [p], CeilMode = mode };
            var avg = new AvgPoolSpec(k, k) { Stride = [s, s], Padding = [p, p], CeilMode = mode, CountIncludePad = false };
            Assert.Equal([2, expected], max.OutputShape([2, length]));
            Assert.Equal([2, expected, expected], avg.OutputShape([2, length, length]));
        }
    }

    [Fact]
    public void OutputShapesFollowTorchsFormulaOverASweep()
    {
        for (int length = 1; length <= 12; length++)
            for (int k = 1; k <= 5; k++)
                for (int s = 1; s <= 4; s++)
                    for (int p = 0; 2 * p <= k; p++)
                        foreach (bool ceil in new[] { false, true })
                        {
                            int expected = TorchOutLength(length, k, s, p, ceil);
                            var spec = new MaxPoolSpec(k) { Stride = [s], Padding = [p], CeilMode = ceil };
                            if (expected < 1) { Assert.Throws<ArgumentException>(() => spec.OutputShape([1, length])); continue; }
                            Assert.Equal([1, expected], spec.OutputShape([1, length]));
                            // And the built layer really produces that many windows.
                            var y = spec.Build<double>([1, length], new Rng(0)).Predict(Tensor.Zeros<double>(1, 1, length));
                            Assert.Equal([1, 1, expected], y.ShapeArray);
                        }
    }

    // torch 2.x: F.max_pool1d(torch.arange(3.).view(1, 1, 3), 4, 4, ceil_mode=True) = [2.], F.avg_pool1d(torch.tensor([[[1., 2, 3]]]), 4, 4,
    // ceil_mode=True) = [2.]; with ceil_mode=False both refuse (output size 0). Same for L = 1, k = s = 2: [x0] and [x0].
    [Theory]
    [InlineData(3, 4, 4)]
    [InlineData(1, 2, 2)]
    public void CeilModeKeepsAWindowLongerThanTheInputByLessThanAStride(int length, int k, int s)
    {
        var x = Tensor.FromArray(Enumerable.Range(1, length).Select(i => (double)i).ToArray(), 1, 1, length);
        var max = new MaxPoolSpec(k) { Stride = [s], CeilMode = true }.Build<double>([1, length], new Rng(0)).Predict(x);
        var avg = new AvgPoolSpec(k) { Stride = [s], CeilMode = true }.Build<double>([1, length], new Rng(0)).Predict(x);
        Assert.Equal([1, 1, 1], max.ShapeArray);
        Assert.Equal(length, max[0, 0, 0]);
        Assert.Equal((length + 1) / 2.0, avg[0, 0, 0], 15);   // the mean of 1..L: the divisor is clipped to the input
        Assert.Throws<ArgumentException>(() => new MaxPoolSpec(k) { Stride = [s] }.OutputShape([1, length]));
    }

    [Theory]
    [InlineData("max_pool(2, ceil_mode=true)", 5, 7, true)]                                   // partial last windows on both axes
    [InlineData("max_pool(3, stride=2, padding=1, ceil_mode=true)", 6, 8, true)]
    [InlineData("max_pool(2x3, stride=2, padding=1, ceil_mode=true)", 5, 6, true)]
    [InlineData("avg_pool(2, ceil_mode=true)", 5, 7, false)]                                  // divisor clipped at the input's end
    [InlineData("avg_pool(3, stride=2, padding=1, ceil_mode=true)", 6, 8, false)]
    [InlineData("avg_pool(3, stride=2, padding=1, count_include_pad=false)", 6, 7, false)]
    [InlineData("avg_pool(3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)", 6, 8, false)]
    [InlineData("avg_pool(2x3, stride=1x2, padding=1, count_include_pad=false)", 5, 6, false)]
    public void CeilModeAndCountIncludePadMatchTheScalarOracle(string text, int h, int w, bool max)
    {
        var spec = (PoolSpec)SpecParser.Parse(text).Layers[0];
        bool include = spec is not AvgPoolSpec { CountIncludePad: false };
        var x = new Rng(5).Normal(0.0, 1.0, 2, 3, h, w);
        var y = spec.Build<double>([3, h, w], new Rng(0)).Predict(x);
        var e = Oracles.Pool(x.ToArray(), 6, h, w, spec.Kernel[0], spec.Kernel[1], spec.Stride[0], spec.Stride[1], spec.Padding[0], spec.Padding[1],
            max, spec.CeilMode, include, out int oh, out int ow);
        Assert.Equal([2, 3, oh, ow], y.ShapeArray);
        Oracles.Close(e, y.AsSpan(), 1e-12);
    }

    [Theory]
    [InlineData("max_pool1d(2, ceil_mode=true)", 9, true)]
    [InlineData("max_pool1d(3, stride=2, padding=1, ceil_mode=true)", 8, true)]
    [InlineData("avg_pool1d(3, stride=2, padding=1, ceil_mode=true)", 8, false)]
    [InlineData("avg_pool1d(3, stride=2, padding=1, count_include_pad=false)", 9, false)]
    public void OneDimensionalOptionsMatchTheScalarOracle(string text, int length, bool max)
    {
        var spec = (PoolSpec)SpecParser.Parse(text).Layers[0];
        bool include = spec is not AvgPoolSpec { CountIncludePad: false };
        var x = new Rng(6).Normal(0.0, 1.0, 2, 3, length);
        var y = spec.Build<double>([3, length], new Rng(0)).Predict(x);
        var e = Oracles.Pool(x.ToArray(), 6, 1, length, 1, spec.Kernel[0], 1, spec.Stride[0], 0, spec.Padding[0], max, spec.CeilMode, include, out _, out int ol);
        Assert.Equal([2, 3, ol], y.ShapeArray);
        Oracles.Close(e, y.AsSpan(), 1e-12);
    }

    [Fact]
    public void CountIncludePadChangesTheBorderValues()
    {
        // One window of avg_pool(3, padding=1) over a 2×2 of ones at the top-left corner holds 4 ones and 5 zeros of padding.
        var x = Tensor.Ones<double>(1, 1, 2, 2);
        var with = SpecParser.Parse("avg_pool(3, padding=1)").Build<double>([1, 2, 2], new Rng(0)).Predict(x);
        var without = SpecParser.Parse("avg_pool(3, padding=1, count_include_pad=false)").Build<double>([1, 2, 2], new Rng(0)).Predict(x);
        Assert.Equal(4.0 / 9, with[0, 0, 0, 0], 15);
        Assert.Equal(1.0, without[0, 0, 0, 0], 15);
    }

    [Theory]
    [InlineData("max_pool(2, ceil_mode=true)")]
    [InlineData("max_pool(3, stride=2, padding=1, ceil_mode=true)")]
    [InlineData("max_pool1d(3, stride=2, padding=1, ceil_mode=true)")]
    [InlineData("avg_pool(3, stride=2, padding=1, count_include_pad=false)")]
    [InlineData("avg_pool(3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)")]
    [InlineData("avg_pool1d(2, ceil_mode=true, count_include_pad=false)")]
    public void PoolingSpecTextRoundTrips(string text)
    {
        var spec = SpecParser.Parse(text);
        Assert.Equal(text, spec.ToString());
        Assert.Equal(spec, SpecParser.Parse(spec.ToString()));
    }

    [Fact]
    public void DefaultsAreTorchsAndAreNotPrinted()
    {
        var avg = (AvgPoolSpec)SpecParser.Parse("avg_pool(2)").Layers[0];
        Assert.False(avg.CeilMode);
        Assert.True(avg.CountIncludePad);
        Assert.Equal("avg_pool(2)", SpecParser.Parse("avg_pool(2, ceil_mode=false, count_include_pad=true)").ToString());
        Assert.NotEqual(SpecParser.Parse("avg_pool(3, padding=1)"), SpecParser.Parse("avg_pool(3, padding=1, count_include_pad=false)"));
        Assert.NotEqual(SpecParser.Parse("max_pool(2)"), SpecParser.Parse("max_pool(2, ceil_mode=true)"));
    }

    [Fact]
    public void BadPoolingArgumentsAreRefusedClearly()
    {
        var e = Assert.ThrowsAny<Exception>(() => SpecParser.Parse("max_pool(2, count_include_pad=false)"));
        Assert.Contains("count_include_pad", e.Message);
        e = Assert.ThrowsAny<Exception>(() => SpecParser.Parse("avg_pool(2, ceil_mode=maybe)"));
        Assert.Contains("ceil_mode", e.Message);
    }

    [Theory]
    [InlineData("max_pool(3, stride=2, padding=1, ceil_mode=true)", 6, 8)]
    [InlineData("avg_pool(3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)", 6, 8)]
    [InlineData("avg_pool(2, ceil_mode=true)", 5, 5)]
    [InlineData("max_pool1d(2, ceil_mode=true)", 1, 7)]
    [InlineData("avg_pool1d(3, stride=2, padding=1, ceil_mode=true, count_include_pad=false)", 1, 8)]
    public void GradientsMatchFiniteDifferences(string text, int h, int w)
    {
        var spec = SpecParser.Parse(text);
        int[] input = h == 1 ? [2, w] : [2, h, w];
        var net = spec.Build<double>(input, new Rng(0));
        var x = new Rng(7).Normal(0.0, 1.0, [1, .. input]);   // continuous values: no ties, so max is differentiable here
        var check = GradCheck.Run(v => net.Forward(v[0], ForwardContext.TrainDeterministic), [x], rtol: 1e-6, atol: 1e-8);
        Assert.True(check.Passed, check.ToString());
    }

    [Theory]
    [InlineData(5, 7, 3, 4)]
    [InlineData(7, 5, 4, 3)]
    [InlineData(4, 4, 2, 2)]
    [InlineData(3, 2, 5, 4)]   // more outputs than inputs: windows repeat
    public void AdaptiveAvgPoolUsesTorchWindows(int h, int w, int oh, int ow)
    {
        var x = new Rng(3).Normal(0.0, 1.0, 2, 2, h, w);
        var y = new AdaptiveAvgPoolSpec(oh, ow).Build<double>([2, h, w], new Rng(0)).Predict(x);
        Assert.Equal([2, 2, oh, ow], y.ShapeArray);
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 2; c++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int y0 = i * h / oh, y1 = (int)Math.Ceiling((i + 1) * (double)h / oh);
                        int x0 = j * w / ow, x1 = (int)Math.Ceiling((j + 1) * (double)w / ow);
                        double s = 0;
                        for (int yy = y0; yy < y1; yy++) for (int xx = x0; xx < x1; xx++) s += x[b, c, yy, xx];
                        Assert.Equal(s / ((y1 - y0) * (x1 - x0)), y[b, c, i, j], 12);
                    }
    }

    [Fact]
    public void GlobalAvgPoolIsTheSpatialMean()
    {
        var x = new Rng(4).Normal(0.0, 1.0, 2, 3, 4, 5);
        var y = SpecParser.Parse("global_avg_pool").Build<double>([3, 4, 5], new Rng(0)).Predict(x);
        Assert.Equal([2, 3], y.ShapeArray);
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
            {
                double s = 0;
                for (int i = 0; i < 4; i++) for (int j = 0; j < 5; j++) s += x[b, c, i, j];
                Assert.Equal(s / 20, y[b, c], 12);
            }
    }
}
