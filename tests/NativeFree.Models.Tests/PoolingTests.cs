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

    [Fact]
    public void CeilModeShapesFollowTorchAndRefuseUntilTheMerge()
    {
        Assert.Equal([3, 3, 3], ((PoolSpec)SpecParser.Parse("max_pool(2, ceil_mode=true)").Layers[0]).OutputShape([3, 5, 5]));
        // torch: a last window starting in the right padding is dropped (L=5, k=2, s=2, p=1: 3, not ⌈5/2⌉ + 1 = 4).
        Assert.Equal([1, 3], new MaxPoolSpec(2) { Padding = [1], CeilMode = true }.OutputShape([1, 5]));
        Assert.Equal([1, 4], new MaxPoolSpec(2) { CeilMode = true }.OutputShape([1, 7]));
        var net = SpecParser.Parse("max_pool(2, ceil_mode=true)").Build<double>([3, 5, 5], new Rng(0));
        var e = Assert.Throws<NotSupportedException>(() => net.Predict(Tensor.Zeros<double>(1, 3, 5, 5)));
        Assert.Contains("Autograd pooling options", e.Message);
        var avg = SpecParser.Parse("avg_pool(3, padding=1, count_include_pad=false)").Build<double>([1, 6, 6], new Rng(0));
        Assert.Throws<NotSupportedException>(() => avg.Predict(Tensor.Zeros<double>(1, 1, 6, 6)));
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
