using System.Numerics;

namespace NativeFree.Tensors;

/// <summary>
/// Geometry of a 2-D sliding window: kernel, stride, zero padding and dilation per spatial axis,
/// with the output size rule of PyTorch: out = ⌊(in + 2·pad − dilation·(kernel − 1) − 1) / stride⌋ + 1.
/// </summary>
public readonly record struct Window2d(int KernelH, int KernelW, int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1)
{
    /// <summary>Output height for input height <paramref name="h"/>.</summary>
    public int OutH(int h) => (h + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;

    /// <summary>Output width for input width <paramref name="w"/>.</summary>
    public int OutW(int w) => (w + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;

    /// <summary>Throws naming the field when a size is out of range or the window does not fit in [h, w].</summary>
    public void Validate(int h, int w)
    {
        if (KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1 || DilationH < 1 || DilationW < 1 || PadH < 0 || PadW < 0)
            throw new ArgumentException($"Invalid window {this}: kernel, stride and dilation must be ≥ 1, padding ≥ 0.");
        if (OutH(h) < 1 || OutW(w) < 1)
            throw new ArgumentException($"Window {this} does not fit an input of spatial size [{h}, {w}] (output would be [{OutH(h)}, {OutW(w)}]).");
    }
}

// im2col / col2im: the patch matrix that turns convolution and pooling into GEMMs and reductions.
public static partial class Tensor
{
    /// <summary>
    /// Patches of x [N, C, H, W] as columns: [N, C·kh·kw, oh·ow], row (c·kh + i)·kw + j, column oy·ow + ox,
    /// holding x[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw], or <paramref name="padValue"/> outside the input.
    /// </summary>
    public static Tensor<T> Im2Col<T>(Tensor<T> x, Window2d window, T padValue = default) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 4) throw new ArgumentException($"Im2Col expects [N, C, H, W]; got {ShapeUtil.Format(x.Shape)}.", nameof(x));
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        window.Validate(h, w);
        int oh = window.OutH(h), ow = window.OutW(w), kh = window.KernelH, kw = window.KernelW, l = oh * ow;
        var xs = x.Contiguous().AsSpan();
        var cols = new T[ShapeUtil.ElementCount([n, c * kh * kw, l])];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        int row = (ch * kh + i) * kw + j;
                        var dst = cols.AsSpan((b * c * kh * kw + row) * l, l);
                        for (int oy = 0; oy < oh; oy++)
                        {
                            int y = oy * window.StrideH - window.PadH + i * window.DilationH;
                            for (int ox = 0; ox < ow; ox++)
                            {
                                int xx = ox * window.StrideW - window.PadW + j * window.DilationW;
                                dst[oy * ow + ox] = (uint)y < (uint)h && (uint)xx < (uint)w ? xs[((b * c + ch) * h + y) * w + xx] : padValue;
                            }
                        }
                    }
        return FromArray(cols, n, c * kh * kw, l);
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: adds every column entry back into its input position ([N, C, H, W] = <paramref name="inputShape"/>); padding entries are dropped.</summary>
    public static Tensor<T> Col2Im<T>(Tensor<T> cols, int[] inputShape, Window2d window) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inputShape.Length != 4) throw new ArgumentException($"Col2Im needs an input shape [N, C, H, W]; got {ShapeUtil.Format(inputShape)}.", nameof(inputShape));
        int n = inputShape[0], c = inputShape[1], h = inputShape[2], w = inputShape[3];
        window.Validate(h, w);
        int oh = window.OutH(h), ow = window.OutW(w), kh = window.KernelH, kw = window.KernelW, l = oh * ow;
        if (!ShapeUtil.SameShape(cols.Shape, [n, c * kh * kw, l]))
            throw new ArgumentException($"Col2Im: columns of shape {ShapeUtil.Format(cols.Shape)} do not match input {ShapeUtil.Format(inputShape)} with window {window} (expected [{n}, {c * kh * kw}, {l}]).", nameof(cols));
        var cs = cols.Contiguous().AsSpan();
        var x = new T[ShapeUtil.ElementCount(inputShape)];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        int row = (ch * kh + i) * kw + j;
                        var src = cs.Slice((b * c * kh * kw + row) * l, l);
                        for (int oy = 0; oy < oh; oy++)
                        {
                            int y = oy * window.StrideH - window.PadH + i * window.DilationH;
                            if ((uint)y >= (uint)h) continue;
                            for (int ox = 0; ox < ow; ox++)
                            {
                                int xx = ox * window.StrideW - window.PadW + j * window.DilationW;
                                if ((uint)xx < (uint)w) x[((b * c + ch) * h + y) * w + xx] += src[oy * ow + ox];
                            }
                        }
                    }
        return FromArray(x, (int[])inputShape.Clone());
    }
}
