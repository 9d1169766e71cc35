using NativeFree.Autograd;

namespace NativeFree.Kernels.Layers;

/// <summary>
/// Layout glue between our channels-last batches ([N, L, C] or [N, H, W, C]) and Autograd's convolution and
/// pooling, which work on [N, C, H, W] with symmetric padding. SAME padding here may put one more row or
/// column at the end than at the start (as TensorFlow/JAX), so it is applied explicitly before a VALID op.
/// </summary>
internal static class SpatialVar
{
    /// <summary>x [N, …spatial, C] as [N, C, H, W] (1-D inputs get H = 1), zero-padded for <paramref name="win"/>.</summary>
    public static Var<double> ToPaddedNchw(Var<double> x, int h, int w, Window2D win, int ho, int wo, int pt, int pl)
    {
        int n = x.Shape[0], c = x.Shape[^1];
        var nchw = x.Reshape(n, h, w, c).Permute(0, 3, 1, 2);
        if (win.Padding == Padding.Valid) return nchw;
        // Total padding that makes a VALID window walk produce exactly ho × wo outputs; the start gets ⌊total/2⌋.
        int totalH = Math.Max((ho - 1) * win.Sh + win.Kh - h, 0), totalW = Math.Max((wo - 1) * win.Sw + win.Kw - w, 0);
        if (totalH == 0 && totalW == 0) return nchw;
        return nchw.Pad([0, 0, pt, pl], [0, 0, totalH - pt, totalW - pl]);
    }

    /// <summary>[N, C, Ho, Wo] back to channels-last, [N, Wo, C] for 1-D layers.</summary>
    public static Var<double> FromNchw(Var<double> y, bool twoD)
    {
        int n = y.Shape[0], c = y.Shape[1], ho = y.Shape[2], wo = y.Shape[3];
        var nhwc = y.Permute(0, 2, 3, 1);
        return twoD ? nhwc.Reshape(n, ho, wo, c) : nhwc.Reshape(n, wo, c);
    }

    /// <summary>The batch's feature shape, with the layer named on a mismatch.</summary>
    public static FeatureShape Shape(Var<double> x, string layer)
    {
        try { return FeatureShape.FromBatchShape(x.Shape); }
        catch (ArgumentException e) { throw new ArgumentException($"{layer}: {e.Message}", nameof(x), e); }
    }
}
