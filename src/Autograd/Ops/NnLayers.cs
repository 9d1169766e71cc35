using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>Convolution, pooling and normalisation, derived from the primitives (im2col, matmul, reductions).</summary>
public static class NnLayers
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as in PyTorch): x [N, C, H, W], weight [O, C/groups, kh, kw],
    /// optional bias [O]; returns [N, O, oh, ow]. Patches (im2col) times the weight matrix, per group.
    /// </summary>
    public static Var<T> Conv2d<T>(Var<T> x, Var<T> weight, Var<T>? bias = null, int strideH = 1, int strideW = 1,
        int padH = 0, int padW = 0, int dilationH = 1, int dilationW = 1, int groups = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 4 || weight.Rank != 4)
            throw new ArgumentException($"Conv2d expects x [N, C, H, W] and weight [O, C/groups, kh, kw]; got {ShapeUtil.Format(x.Shape)} and {ShapeUtil.Format(weight.Shape)}.");
        int n = x.Shape[0], c = x.Shape[1], o = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
        if (groups < 1 || c % groups != 0 || o % groups != 0 || weight.Shape[1] != c / groups)
            throw new ArgumentException($"Conv2d with {groups} groups: input channels {c} and output channels {o} must divide by groups, and weight {ShapeUtil.Format(weight.Shape)} must have {(groups > 0 ? c / groups : 0)} input channels per group.");
        if (bias is not null && !ShapeUtil.SameShape(bias.Shape, [o]))
            throw new ArgumentException($"Conv2d bias must have shape [{o}]; got {ShapeUtil.Format(bias.Shape)}.", nameof(bias));
        var window = new Window2d(kh, kw, strideH, strideW, padH, padW, dilationH, dilationW);
        var cols = x.Im2Col(window);                                   // [N, C·kh·kw, L]
        int oh = window.OutH(x.Shape[2]), ow = window.OutW(x.Shape[3]), k = c / groups * kh * kw;
        var colsG = cols.Reshape(n, groups, k, oh * ow);               // channels are grouped contiguously
        var w = weight.Reshape(groups, o / groups, k);
        var y = Var<T>.MatMul(w, colsG).Reshape(n, o, oh, ow);         // [G, O/G, K] @ [N, G, K, L] → [N, G, O/G, L]
        return bias is null ? y : y + bias.Reshape(o, 1, 1);
    }

    /// <summary>1-D convolution: x [N, C, L], weight [O, C/groups, k]; a Conv2d of height 1.</summary>
    public static Var<T> Conv1d<T>(Var<T> x, Var<T> weight, Var<T>? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 3 || weight.Rank != 3)
            throw new ArgumentException($"Conv1d expects x [N, C, L] and weight [O, C/groups, k]; got {ShapeUtil.Format(x.Shape)} and {ShapeUtil.Format(weight.Shape)}.");
        var y = Conv2d(x.Unsqueeze(2), weight.Unsqueeze(2), bias, 1, stride, 0, padding, 1, dilation, groups);
        return y.Squeeze(2);
    }

    /// <summary>Max pooling over x [N, C, H, W] (padding counts as −∞). Gradient goes to the maximum (shared at ties).</summary>
    public static Var<T> MaxPool2d<T>(Var<T> x, int kernelH, int kernelW, int strideH, int strideW, int padH = 0, int padW = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Pool(x, new Window2d(kernelH, kernelW, strideH, strideW, padH, padW), max: true);

    /// <summary>Average pooling over x [N, C, H, W]; zero padding is counted in the average (PyTorch's count_include_pad).</summary>
    public static Var<T> AvgPool2d<T>(Var<T> x, int kernelH, int kernelW, int strideH, int strideW, int padH = 0, int padW = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Pool(x, new Window2d(kernelH, kernelW, strideH, strideW, padH, padW), max: false);

    private static Var<T> Pool<T>(Var<T> x, Window2d window, bool max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 4) throw new ArgumentException($"Pooling expects [N, C, H, W]; got {ShapeUtil.Format(x.Shape)}.", nameof(x));
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        window.Validate(h, w);
        // Each channel is its own image, so the patch rows are exactly one window.
        var cols = x.Reshape(n * c, 1, h, w).Im2Col(window, max ? T.NegativeInfinity : T.Zero); // [N·C, kh·kw, L]
        var pooled = max ? cols.Max([1]) : cols.Mean([1]);
        return pooled.Reshape(n, c, window.OutH(h), window.OutW(w));
    }

    /// <summary>Layer norm over the last <paramref name="normalizedRank"/> axes: (x − mean)/√(var + eps), then ·weight + bias if given (shapes of those axes).</summary>
    public static Var<T> LayerNorm<T>(Var<T> x, int normalizedRank, Var<T>? weight = null, Var<T>? bias = null, double eps = 1e-5)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (normalizedRank < 1 || normalizedRank > x.Rank)
            throw new ArgumentException($"LayerNorm over the last {normalizedRank} axes of shape {ShapeUtil.Format(x.Shape)} is not possible.", nameof(normalizedRank));
        var axes = Enumerable.Range(x.Rank - normalizedRank, normalizedRank).ToArray();
        var y = Normalize(x, axes, eps);
        if (weight is not null) y = y * weight;
        return bias is null ? y : y + bias;
    }

    /// <summary>
    /// Batch norm (functional) over x [N, C, …]: statistics over every axis but 1 in training, or the given
    /// running statistics otherwise; ·weight[C] + bias[C] if given. In training the running statistics (if
    /// given) are updated in place with <paramref name="momentum"/> (unbiased variance, as PyTorch).
    /// </summary>
    public static Var<T> BatchNorm<T>(Var<T> x, Tensor<T>? runningMean, Tensor<T>? runningVar, Var<T>? weight = null, Var<T>? bias = null,
        bool training = true, double momentum = 0.1, double eps = 1e-5) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank < 2) throw new ArgumentException($"BatchNorm expects [N, C, …]; got {ShapeUtil.Format(x.Shape)}.", nameof(x));
        int c = x.Shape[1];
        var channelShape = new int[x.Rank];
        Array.Fill(channelShape, 1);
        channelShape[1] = c;
        var axes = Enumerable.Range(0, x.Rank).Where(a => a != 1).ToArray();
        Var<T> y;
        if (training)
        {
            y = Normalize(x, axes, eps);
            if (runningMean is not null && runningVar is not null)
            {
                int count = x.Value.Length / c;
                var mean = Tensor.Mean(x.Value, axes);
                var unbiased = Tensor.Var(x.Value, axes, ddof: count > 1 ? 1 : 0);
                T m = T.CreateTruncating(momentum);
                runningMean.CopyFrom(Tensor.Add(Tensor.Mul(runningMean, T.One - m), Tensor.Mul(mean, m)));
                runningVar.CopyFrom(Tensor.Add(Tensor.Mul(runningVar, T.One - m), Tensor.Mul(unbiased, m)));
            }
        }
        else
        {
            if (runningMean is null || runningVar is null) throw new ArgumentException("BatchNorm in evaluation mode needs the running mean and variance.");
            var mean = Var<T>.Constant(runningMean.Reshape(channelShape));
            var std = Var<T>.Constant(Tensor.Sqrt(Tensor.Add(runningVar, T.CreateTruncating(eps))).Reshape(channelShape));
            y = (x - mean) / std;
        }
        if (weight is not null) y = y * weight.Reshape(channelShape);
        return bias is null ? y : y + bias.Reshape(channelShape);
    }

    private static Var<T> Normalize<T>(Var<T> x, int[] axes, double eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var centered = x - x.Mean(axes, keepDim: true);
        var variance = (centered * centered).Mean(axes, keepDim: true);
        return centered * (variance + T.CreateTruncating(eps)).Rsqrt();
    }
}
