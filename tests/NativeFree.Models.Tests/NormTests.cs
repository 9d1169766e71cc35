using NativeFree.Autograd;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Models.Tests;

public class NormTests
{
    // Per-channel mean and variance (biased and unbiased) of x [n, c, rest] flattened.
    private static (double[] Mean, double[] Biased, double[] Unbiased) Stats(double[] x, int n, int c, int rest)
    {
        var mean = new double[c]; var bv = new double[c]; var uv = new double[c];
        int m = n * rest;
        for (int ch = 0; ch < c; ch++)
        {
            double s = 0;
            for (int b = 0; b < n; b++) for (int r = 0; r < rest; r++) s += x[(b * c + ch) * rest + r];
            mean[ch] = s / m;
            double q = 0;
            for (int b = 0; b < n; b++) for (int r = 0; r < rest; r++) { double d = x[(b * c + ch) * rest + r] - mean[ch]; q += d * d; }
            bv[ch] = q / m; uv[ch] = q / (m - 1);
        }
        return (mean, bv, uv);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 3, 5 })]
    [InlineData(new[] { 3, 4, 2 })]
    public void BatchNormTrainEvalAndRunningStats(int[] shape)
    {
        int c = shape[0], rest = shape.Skip(1).Aggregate(1, (a, b) => a * b), n = 4;
        var net = (BatchNorm<double>)SpecParser.Parse("batch_norm(momentum=0.3)").Layers[0].Build<double>(shape, new Rng(0));
        net.Weight!.Value.CopyFrom(new Rng(1).Normal(1.0, 0.5, c));
        net.Bias!.Value.CopyFrom(new Rng(2).Normal(0.0, 0.5, c));
        double[] g = net.Weight.Value.ToArray(), be = net.Bias.Value.ToArray();
        var x = new Rng(3).Normal(2.0, 3.0, [n, .. shape]);
        var xs = x.ToArray();
        var (mean, bv, uv) = Stats(xs, n, c, rest);

        var y = net.Forward(Var<double>.Constant(x), ForwardContext.TrainDeterministic).Value;
        var e = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++) { int ch = i / rest % c; e[i] = (xs[i] - mean[ch]) / Math.Sqrt(bv[ch] + 1e-5) * g[ch] + be[ch]; }
        Oracles.Close(e, y.AsSpan());
        Assert.Equal(1, net.NumBatchesTracked!.Count);
        for (int ch = 0; ch < c; ch++)
        {
            Assert.Equal(0.3 * mean[ch], net.RunningMean!.Tensor![ch], 12);
            Assert.Equal(0.7 + 0.3 * uv[ch], net.RunningVar!.Tensor![ch], 12);   // unbiased variance
        }
        net.Forward(Var<double>.Constant(x), ForwardContext.TrainDeterministic);
        Assert.Equal(2, net.NumBatchesTracked.Count);
        double rm0 = 0.7 * 0.3 * mean[0] + 0.3 * mean[0], rv0 = 0.7 * (0.7 + 0.3 * uv[0]) + 0.3 * uv[0];
        Assert.Equal(rm0, net.RunningMean!.Tensor![0], 12);
        Assert.Equal(rv0, net.RunningVar!.Tensor![0], 12);

        var ye = net.Predict(x);   // evaluation: running statistics, nothing updated
        var rm = net.RunningMean.Tensor!.ToArray(); var rv = net.RunningVar.Tensor!.ToArray();
        for (int i = 0; i < xs.Length; i++) { int ch = i / rest % c; e[i] = (xs[i] - rm[ch]) / Math.Sqrt(rv[ch] + 1e-5) * g[ch] + be[ch]; }
        Oracles.Close(e, ye.AsSpan());
        Assert.Equal(2, net.NumBatchesTracked.Count);
        Assert.Equal(rm, net.RunningMean.Tensor!.ToArray());
    }

    [Fact]
    public void BatchNormCumulativeMomentumAndNoTracking()
    {
        var net = (BatchNorm<double>)SpecParser.Parse("batch_norm(momentum=none)").Layers[0].Build<double>([2], new Rng(0));
        var a = new Rng(4).Normal(0.0, 1.0, 5, 2); var b = new Rng(5).Normal(3.0, 1.0, 5, 2);
        net.Forward(Var<double>.Constant(a), ForwardContext.TrainDeterministic);
        net.Forward(Var<double>.Constant(b), ForwardContext.TrainDeterministic);
        double ma = Stats(a.ToArray(), 5, 2, 1).Mean[1], mb = Stats(b.ToArray(), 5, 2, 1).Mean[1];
        Assert.Equal((ma + mb) / 2, net.RunningMean!.Tensor![1], 12);   // momentum 1/count: the plain average
        var free = SpecParser.Parse("batch_norm(affine=false, track_running_stats=false)").Layers[0].Build<double>([2], new Rng(0));
        Assert.Empty(free.NamedParameters()); Assert.Empty(free.NamedBuffers());
        var y = free.Predict(a);   // evaluation still normalises by the batch
        Assert.Equal(0, y.ToArray().Where((_, i) => i % 2 == 0).Sum(), 12);
    }

    [Fact]
    public void LayerNormAllAxesOrLast()
    {
        var x = new Rng(6).Normal(1.0, 2.0, 2, 3, 4);
        var all = (LayerNorm<double>)SpecParser.Parse("layer_norm").Layers[0].Build<double>([3, 4], new Rng(0));
        Assert.Equal([3, 4], all.Weight!.Value.ShapeArray);
        all.Weight.Value.CopyFrom(new Rng(7).Normal(1.0, 0.3, 3, 4));
        var last = (LayerNorm<double>)SpecParser.Parse("layer_norm(axes=last, eps=0.01)").Layers[0].Build<double>([3, 4], new Rng(0));
        Assert.Equal([4], last.Weight!.Value.ShapeArray);
        var ya = all.Predict(x); var yl = last.Predict(x);
        var xs = x.ToArray(); var ws = all.Weight.Value.ToArray();
        for (int b = 0; b < 2; b++)
        {
            var row = xs.Skip(b * 12).Take(12).ToArray();
            double m = row.Average(), v = row.Select(t => (t - m) * (t - m)).Average();
            for (int i = 0; i < 12; i++) Assert.Equal((row[i] - m) / Math.Sqrt(v + 1e-5) * ws[i], ya.AsSpan()[b * 12 + i], 12);
            for (int r = 0; r < 3; r++)
            {
                var seg = row.Skip(r * 4).Take(4).ToArray();
                double sm = seg.Average(), sv = seg.Select(t => (t - sm) * (t - sm)).Average();
                for (int i = 0; i < 4; i++) Assert.Equal((seg[i] - sm) / Math.Sqrt(sv + 0.01), yl.AsSpan()[b * 12 + r * 4 + i], 12);
            }
        }
    }

    [Fact]
    public void GroupNormNormalisesEachGroup()
    {
        var net = (GroupNorm<double>)SpecParser.Parse("group_norm(2)").Layers[0].Build<double>([4, 3], new Rng(0));
        net.Weight!.Value.CopyFrom(Tensor.FromArray([1.0, 2, 3, 4], 4));
        net.Bias!.Value.CopyFrom(Tensor.FromArray([0.5, 0, -0.5, 1], 4));
        var x = new Rng(8).Normal(1.0, 2.0, 2, 4, 3);
        var y = net.Predict(x); var xs = x.ToArray();
        for (int b = 0; b < 2; b++)
            for (int g = 0; g < 2; g++)
            {
                var grp = xs.Skip(b * 12 + g * 6).Take(6).ToArray();
                double m = grp.Average(), v = grp.Select(t => (t - m) * (t - m)).Average();
                for (int i = 0; i < 6; i++)
                {
                    int ch = g * 2 + i / 3;
                    Assert.Equal((grp[i] - m) / Math.Sqrt(v + 1e-5) * net.Weight.Value[ch] + net.Bias.Value[ch], y.AsSpan()[b * 12 + g * 6 + i], 12);
                }
            }
    }
}
