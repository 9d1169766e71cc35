namespace NativeFree.Models.Tests;

// Plain-loop references in double, written from the definitions (not from the library's im2col path).
internal static class Oracles
{
    /// <summary>Direct 2-d cross-correlation of x [n, c, h, w] with w [o, c/g, kh, kw]; pads (top, bottom, left, right).</summary>
    public static double[] Conv2d(double[] x, int n, int c, int h, int w, double[] wt, int o, int kh, int kw, double[]? bias,
        int sh, int sw, int pt, int pb, int pl, int pr, int dh, int dw, int groups, out int oh, out int ow)
    {
        oh = (h + pt + pb - dh * (kh - 1) - 1) / sh + 1;
        ow = (w + pl + pr - dw * (kw - 1) - 1) / sw + 1;
        int cg = c / groups, og = o / groups;
        var y = new double[n * o * oh * ow];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double s = bias?[oc] ?? 0;
                        int g = oc / og;
                        for (int ic = 0; ic < cg; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int yy = oy * sh - pt + i * dh, xx = ox * sw - pl + j * dw;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                                    s += x[((b * c + g * cg + ic) * h + yy) * w + xx] * wt[((oc * cg + ic) * kh + i) * kw + j];
                                }
                        y[((b * o + oc) * oh + oy) * ow + ox] = s;
                    }
        return y;
    }

    /// <summary>Max or average pooling over x [nc, h, w] (padding: −∞ for max, zeros counted for average).</summary>
    public static double[] Pool(double[] x, int nc, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, bool max, out int oh, out int ow)
        => Pool(x, nc, h, w, kh, kw, sh, sw, ph, pw, max, ceilMode: false, countIncludePad: true, out oh, out ow);

    /// <summary>
    /// torch's max_pool2d / avg_pool2d over x [nc, h, w], one window element at a time. Window o of an axis starts
    /// at o·s − p. Floor mode keeps the windows that fit the padded input. Ceil mode keeps window o when it starts
    /// inside the input or the left padding and the window one stride before it (for o = 0, one starting at −s)
    /// would end before the padded input does, so a partial last window survives. Positions past the right padding
    /// count nowhere; padding positions count in the average's divisor only with <paramref name="countIncludePad"/>.
    /// </summary>
    public static double[] Pool(double[] x, int nc, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, bool max,
        bool ceilMode, bool countIncludePad, out int oh, out int ow)
    {
        oh = Windows(h, kh, sh, ph, ceilMode);
        ow = Windows(w, kw, sw, pw, ceilMode);
        var y = new double[nc * oh * ow];
        for (int p = 0; p < nc; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    int count = 0;
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                        {
                            int yy = oy * sh - ph + i, xx = ox * sw - pw + j;
                            if (yy >= h + ph || xx >= w + pw) continue;            // past the right padding
                            bool inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
                            if (inside || countIncludePad) count++;
                            if (!inside) continue;                                  // padding: −∞ or 0 adds nothing
                            double v = x[(p * h + yy) * w + xx];
                            acc = max ? Math.Max(acc, v) : acc + v;
                        }
                    y[(p * oh + oy) * ow + ox] = max ? acc : acc / count;
                }
        return y;
    }

    private static int Windows(int length, int k, int s, int p, bool ceilMode)
    {
        int o = 0;
        while (ceilMode
                   ? o * s < length + p && (o - 1) * s + k < length + 2 * p
                   : o * s + k <= length + 2 * p)
            o++;
        return o;
    }

    public static void Close(double[] expected, ReadOnlySpan<double> actual, double tol = 1e-10)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(expected[i] - actual[i]) > tol * (1 + Math.Abs(expected[i])))
                Xunit.Assert.Fail($"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
