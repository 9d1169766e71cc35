using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>Forward values of conv and pooling against direct loops (the gradient properties cover the backward).</summary>
public class ConvTests
{
    [Theory]
    [InlineData(1, 1, 0, 1, 1)]
    [InlineData(2, 1, 1, 1, 1)]
    [InlineData(1, 2, 1, 2, 1)]
    [InlineData(2, 2, 0, 1, 2)]
    [InlineData(1, 1, 2, 2, 2)]
    public void Conv2d_matches_the_direct_sum(int stride, int dilation, int pad, int groups, int batch)
    {
        var r = new Random(stride * 100 + dilation * 10 + pad + groups * 7);
        int cin = 2 * groups, cout = 2 * groups, h = 6, w = 5, kh = 3, kw = 2;
        var x = OpCases.U(r, [batch, cin, h, w]);
        var wt = OpCases.U(r, [cout, cin / groups, kh, kw]);
        var b = OpCases.U(r, [cout]);
        var y = NnLayers.Conv2d<double>(x, wt, b, stride, stride, pad, pad, dilation, dilation, groups).Value;
        int oh = (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1, ow = (w + 2 * pad - dilation * (kw - 1) - 1) / stride + 1;
        Assert.Equal(new[] { batch, cout, oh, ow }, y.ShapeArray);
        int cg = cin / groups, og = cout / groups;
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < cout; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double sum = b[o];
                        int g = o / og;
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int yy = oy * stride - pad + i * dilation, xx = ox * stride - pad + j * dilation;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                                    sum += x[n, g * cg + c, yy, xx] * wt[o, c, i, j];
                                }
                        Assert.Equal(sum, y[n, o, oy, ox], 12);
                    }
    }

    [Fact]
    public void Pooling_matches_the_direct_max_and_mean_including_padding()
    {
        var x = OpCases.U(new Random(3), [1, 2, 5, 4]);
        var max = NnLayers.MaxPool2d<double>(x, 3, 2, 2, 2, 1, 1).Value;
        var avg = NnLayers.AvgPool2d<double>(x, 3, 2, 2, 2, 1, 1).Value;
        Assert.Equal(new[] { 1, 2, 3, 3 }, max.ShapeArray);
        for (int c = 0; c < 2; c++)
            for (int oy = 0; oy < 3; oy++)
                for (int ox = 0; ox < 3; ox++)
                {
                    double m = double.NegativeInfinity, s = 0;
                    for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 2; j++)
                        {
                            int yy = oy * 2 - 1 + i, xx = ox * 2 - 1 + j;
                            if (yy < 0 || yy >= 5 || xx < 0 || xx >= 4) continue;
                            m = Math.Max(m, x[0, c, yy, xx]);
                            s += x[0, c, yy, xx];
                        }
                    Assert.Equal(m, max[0, c, oy, ox], 12);
                    Assert.Equal(s / 6, avg[0, c, oy, ox], 12);
                }
    }

    [Fact]
    public void BatchNorm_normalises_each_channel_and_updates_running_statistics()
    {
        var x = OpCases.U(new Random(5), [4, 3, 2]);
        var mean = Tensor.Zeros<double>(3);
        var variance = Tensor.Ones<double>(3);
        var y = NnLayers.BatchNorm<double>(x, mean, variance, eps: 0).Value;
        var m = Tensor.Mean(y, [0, 2]).ToArray();
        var v = Tensor.Var(y, [0, 2]).ToArray();
        for (int c = 0; c < 3; c++) { Assert.Equal(0, m[c], 12); Assert.Equal(1, v[c], 10); }
        var expected = Tensor.Mul(Tensor.Mean(x, [0, 2]), 0.1).ToArray();
        for (int c = 0; c < 3; c++) Assert.Equal(expected[c], mean.ToArray()[c], 12);
        Assert.Throws<ArgumentException>(() => NnLayers.BatchNorm<double>(x, null, null, training: false));
    }

    [Fact]
    public void Conv2d_rejects_mismatched_channels_naming_the_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => NnLayers.Conv2d<double>(Tensor.Zeros<double>(1, 3, 4, 4), Tensor.Zeros<double>(2, 2, 3, 3)));
        Assert.Contains("[2, 2, 3, 3]", e.Message);
    }
}
