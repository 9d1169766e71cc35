using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>Pooling's ceil_mode and count_include_pad against torch's CPU kernels written as loops.</summary>
public class PoolingTests
{
    // torch's pooling_output_shape (dilation 1).
    private static int TorchOut(int length, int k, int s, int p, bool ceil)
    {
        int o = (length + 2 * p - (k - 1) - 1 + (ceil ? s - 1 : 0)) / s + 1;
        if (ceil && (o - 1) * s >= length + p) --o;
        return o;
    }

    // torch's max_pool2d / avg_pool2d CPU loops over x [N·C, H, W]: the window [start, start + k) clipped to
    // [0, L + p) for the avg divisor (count_include_pad), then to [0, L) for the elements read.
    private static double[] TorchPool(Tensor<double> x, int kh, int kw, int sh, int sw, int ph, int pw, bool max, bool ceil, bool includePad, out int oh, out int ow)
    {
        int nc = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        oh = TorchOut(h, kh, sh, ph, ceil);
        ow = TorchOut(w, kw, sw, pw, ceil);
        var xs = x.Contiguous().ToArray();
        var y = new double[nc * oh * ow];
        for (int p = 0; p < nc; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    int hs = oy * sh - ph, ws = ox * sw - pw;
                    int he = Math.Min(hs + kh, h + ph), we = Math.Min(ws + kw, w + pw);
                    int poolSize = (he - hs) * (we - ws);
                    hs = Math.Max(hs, 0); ws = Math.Max(ws, 0); he = Math.Min(he, h); we = Math.Min(we, w);
                    double acc = max ? double.NegativeInfinity : 0;
                    for (int i = hs; i < he; i++)
                        for (int j = ws; j < we; j++)
                            acc = max ? Math.Max(acc, xs[(p * h + i) * w + j]) : acc + xs[(p * h + i) * w + j];
                    y[(p * oh + oy) * ow + ox] = max ? acc : acc / (includePad ? poolSize : (he - hs) * (we - ws));
                }
        return y;
    }

    private static void Close(double[] expected, Tensor<double> actual)
    {
        var a = actual.ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(expected[i], a[i], 13);
    }

    // (H, W, k, s, p): [5,·] k2 s2 p0: ceil adds a window (2 → 3); [5,·] k2 s2 p1: ceil's extra window would start in
    // the right padding and is dropped (3, not 4); [6,·] k3 s2 p1: ceil's window runs past the padding (divisor 2, not 3).
    [Theory]
    [InlineData(5, 6, 2, 2, 2, 2, 0, 0)]
    [InlineData(5, 5, 2, 2, 2, 2, 1, 1)]
    [InlineData(6, 7, 3, 3, 2, 2, 1, 1)]
    [InlineData(7, 6, 3, 2, 2, 3, 1, 0)]
    [InlineData(4, 4, 2, 2, 1, 1, 1, 0)]
    public void Pool2d_matches_torchs_loops_in_every_mode(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var x = OpCases.U(new Random(h * 31 + w), [2, 2, h, w], -2, 2);
        foreach (bool ceil in new[] { false, true })
        {
            var e = TorchPool(x, kh, kw, sh, sw, ph, pw, max: true, ceil, true, out int oh, out int ow);
            var y = NnLayers.MaxPool2d(Var<double>.Constant(x), kh, kw, sh, sw, ph, pw, ceil).Value;
            Assert.Equal([2, 2, oh, ow], y.ShapeArray);
            Close(e, y);
            foreach (bool includePad in new[] { false, true })
            {
                e = TorchPool(x, kh, kw, sh, sw, ph, pw, max: false, ceil, includePad, out oh, out ow);
                y = NnLayers.AvgPool2d(Var<double>.Constant(x), kh, kw, sh, sw, ph, pw, ceil, includePad).Value;
                Assert.Equal([2, 2, oh, ow], y.ShapeArray);
                Close(e, y);
            }
        }
    }

    [Theory]
    [InlineData(5, 2, 2, 0, 3)]    // ceil adds a window
    [InlineData(5, 2, 2, 1, 3)]    // ceil's window would start in the right padding: dropped
    [InlineData(6, 3, 2, 1, 4)]    // ceil's window runs past the right padding
    [InlineData(8, 3, 3, 1, 3)]    // ceil changes nothing
    public void Pool1d_matches_torchs_loops_and_output_lengths(int length, int k, int s, int p, int ceilOut)
    {
        Assert.Equal(ceilOut, NnLayers.PoolOutputLength(length, k, s, p, ceilMode: true));
        Assert.Equal(TorchOut(length, k, s, p, false), NnLayers.PoolOutputLength(length, k, s, p, ceilMode: false));
        var x = OpCases.U(new Random(length + 10 * k), [2, 3, length], -2, 2);
        var x4 = x.Reshape(2, 3, 1, length);
        foreach (bool ceil in new[] { false, true })
        {
            var y = NnLayers.MaxPool1d(Var<double>.Constant(x), k, s, p, ceil).Value;
            var e = TorchPool(x4, 1, k, 1, s, 0, p, max: true, ceil, true, out _, out int ol);
            Assert.Equal([2, 3, ol], y.ShapeArray);
            Close(e, y);
            foreach (bool includePad in new[] { false, true })
            {
                y = NnLayers.AvgPool1d(Var<double>.Constant(x), k, s, p, ceil, includePad).Value;
                Close(TorchPool(x4, 1, k, 1, s, 0, p, max: false, ceil, includePad, out _, out _), y);
            }
        }
    }

    [Theory]
    [InlineData(5, 6, 2, 2, 0, false)]
    [InlineData(6, 7, 3, 2, 1, false)]
    [InlineData(6, 7, 3, 2, 1, true)]
    [InlineData(5, 5, 2, 2, 1, true)]
    public void Ceil_mode_and_exclude_pad_gradients_match_finite_differences(int h, int w, int k, int s, int p, bool includePad)
    {
        var r = new Random(h + w + k);
        var x = OpCases.U(r, [1, 2, h, w]);
        // Distinct values so no max-pool window has a tie (the finite difference is then exact).
        var distinct = Tensor.FromArray(Enumerable.Range(0, x.Length).Select(i => 0.1 * i).OrderBy(_ => r.Next()).ToArray(), 1, 2, h, w);
        Assert.True(GradCheck.Run(a => NnLayers.MaxPool2d(a[0], k, k, s, s, p, p, ceilMode: true).Square(), [distinct]).Passed);
        var avg = GradCheck.Run(a => NnLayers.AvgPool2d(a[0], k, k, s, s, p, p, ceilMode: true, countIncludePad: includePad).Square(), [x]);
        Assert.True(avg.Passed, avg.ToString());
        var avg1 = GradCheck.Run(a => NnLayers.AvgPool1d(a[0], k, s, p, ceilMode: true, countIncludePad: includePad).Square(), [x.Select(2, 0)]);
        Assert.True(avg1.Passed, avg1.ToString());
    }

    [Fact]
    public void Padding_over_half_the_kernel_is_refused_as_torch_does()
    {
        var x = Var<double>.Constant(Tensor.Zeros<double>(1, 1, 4, 4));
        var e = Assert.Throws<ArgumentException>(() => NnLayers.MaxPool2d(x, 2, 2, 1, 1, 2, 0));
        Assert.Contains("half the kernel", e.Message);
        Assert.Throws<ArgumentException>(() => NnLayers.AvgPool1d(Var<double>.Constant(Tensor.Zeros<double>(1, 1, 2)), 3));
    }
}
