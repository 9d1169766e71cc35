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

    /// <summary>
    /// Max pooling over x [N, C, H, W], as torch.nn.functional.max_pool2d (dilation 1). Padding counts as −∞ and
    /// may be at most half the kernel (torch's rule). With <paramref name="ceilMode"/> a partial last window is
    /// kept (see <see cref="PoolOutputLength"/>). The whole gradient of a window goes to one element, its first
    /// maximum in row-major window order, as in PyTorch: when elements of a window tie, the first gets g and the
    /// others 0 (unlike <see cref="Var{T}.Max"/>, which shares ties equally). A NaN in a window is its maximum.
    /// Elements shared by overlapping windows add the gradients of every window they win.
    /// </summary>
    public static Var<T> MaxPool2d<T>(Var<T> x, int kernelH, int kernelW, int strideH, int strideW, int padH = 0, int padW = 0, bool ceilMode = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Pool(x, kernelH, kernelW, strideH, strideW, padH, padW, max: true, ceilMode, countIncludePad: true);

    /// <summary>
    /// Average pooling over x [N, C, H, W], as torch.nn.functional.avg_pool2d. With <paramref name="countIncludePad"/>
    /// (torch's default) the divisor is the window clipped to the padded input — kh·kw except for a ceil-mode
    /// window that runs past the right padding; without it, only the input elements in the window count.
    /// Padding (zeros) may be at most half the kernel.
    /// </summary>
    public static Var<T> AvgPool2d<T>(Var<T> x, int kernelH, int kernelW, int strideH, int strideW, int padH = 0, int padW = 0,
        bool ceilMode = false, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Pool(x, kernelH, kernelW, strideH, strideW, padH, padW, max: false, ceilMode, countIncludePad);

    /// <summary>1-D max pooling over x [N, C, L] (torch's max_pool1d; stride defaults to the kernel): a <see cref="MaxPool2d"/> of height 1, which is exact.</summary>
    public static Var<T> MaxPool1d<T>(Var<T> x, int kernel, int? stride = null, int padding = 0, bool ceilMode = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 3) throw new ArgumentException($"MaxPool1d expects [N, C, L]; got {ShapeUtil.Format(x.Shape)}.", nameof(x));
        return MaxPool2d(x.Unsqueeze(2), 1, kernel, 1, stride ?? kernel, 0, padding, ceilMode).Squeeze(2);
    }

    /// <summary>1-D average pooling over x [N, C, L] (torch's avg_pool1d; stride defaults to the kernel): an <see cref="AvgPool2d"/> of height 1, which is exact.</summary>
    public static Var<T> AvgPool1d<T>(Var<T> x, int kernel, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Rank != 3) throw new ArgumentException($"AvgPool1d expects [N, C, L]; got {ShapeUtil.Format(x.Shape)}.", nameof(x));
        return AvgPool2d(x.Unsqueeze(2), 1, kernel, 1, stride ?? kernel, 0, padding, ceilMode, countIncludePad).Squeeze(2);
    }

    /// <summary>
    /// PyTorch's pooling output length for an axis of <paramref name="length"/>: ⌊(L + 2p − k)/s⌋ + 1, or with
    /// <paramref name="ceilMode"/> ⌈(L + 2p − k)/s⌉ + 1 less one when that last window would start in the right
    /// padding (it must start inside the input or the left padding). ≤ 0 when the window does not fit. As in torch
    /// the division rounds down also for a negative span, so in ceil mode a window longer than the padded input by
    /// less than a stride still gives one (partial) window: torch pools [1, 1, 1] with k = 2, s = 2 into one value.
    /// </summary>
    public static int PoolOutputLength(int length, int kernel, int stride, int padding, bool ceilMode)
    {
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "The pooling stride must be ≥ 1.");
        int span = length + 2 * padding - kernel;
        int o = FloorDiv(ceilMode ? span + stride - 1 : span, stride) + 1;
        if (ceilMode && (o - 1) * stride >= length + padding) o--;
        return o;
    }

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static Var<T> Pool<T>(Var<T> x, int kh, int kw, int sh, int sw, int ph, int pw, bool max, bool ceilMode, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string name = max ? "MaxPool2d" : "AvgPool2d";
        if (x.Rank != 4) throw new ArgumentException($"{name} expects [N, C, H, W]; got {ShapeUtil.Format(x.Shape)}.", nameof(x));
        if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0)
            throw new ArgumentException($"{name}: kernel [{kh}, {kw}] and stride [{sh}, {sw}] must be ≥ 1 and padding [{ph}, {pw}] ≥ 0.");
        // torch's rule; it also guarantees that every window holds at least one input element.
        if (2 * ph > kh || 2 * pw > kw)
            throw new ArgumentException($"{name}: padding [{ph}, {pw}] must be at most half the kernel [{kh}, {kw}] (as in PyTorch).");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int oh = PoolOutputLength(h, kh, sh, ph, ceilMode), ow = PoolOutputLength(w, kw, sw, pw, ceilMode);
        if (oh < 1 || ow < 1)
            throw new ArgumentException($"{name}: the window [{kh}, {kw}] with padding [{ph}, {pw}] does not fit the input {ShapeUtil.Format(x.Shape)} (output would be [{oh}, {ow}]).", nameof(x));
        T padValue = max ? T.NegativeInfinity : T.Zero;
        // Each channel is its own image, so the patch rows are exactly one window.
        var images = x.Reshape(n * c, 1, h, w);
        // Ceil mode's last window may run past the right padding: pad the bottom/right with what padding
        // holds, so the floor rule over the longer input gives exactly oh × ow windows.
        int eh = Math.Max(0, (oh - 1) * sh + kh - (h + 2 * ph)), ew = Math.Max(0, (ow - 1) * sw + kw - (w + 2 * pw));
        if (eh > 0 || ew > 0) images = images.Pad([0, 0, 0, 0], [0, 0, eh, ew], padValue);
        var cols = images.Im2Col(new Window2d(kh, kw, sh, sw, ph, pw), padValue); // [N·C, kh·kw, L]
        Var<T> pooled;
        if (max) pooled = cols.Gather(1, FirstMaxIndices(cols.Value), [n * c, 1, cols.Shape[2]]);   // torch's argmax routing
        else if ((countIncludePad || (ph == 0 && pw == 0)) && eh == 0 && ew == 0) pooled = cols.Mean([1]);    // every divisor is kh·kw
        else pooled = cols.Sum([1]) * Var<T>.Constant(InverseDivisors<T>(h, w, kh, kw, sh, sw, ph, pw, oh, ow, countIncludePad));
        return pooled.Reshape(n, c, oh, ow);
    }

    // The row of the first maximum of each column of cols [B, K, L] (K = window elements in row-major order),
    // as torch's max_pool2d picks it: a later element wins only when strictly larger, and the first NaN wins outright.
    private static int[] FirstMaxIndices<T>(Tensor<T> cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = cols.Shape[0], k = cols.Shape[1], l = cols.Shape[2];
        ReadOnlySpan<T> v = cols.Contiguous().AsSpan();
        var index = new int[b * l];
        for (int p = 0; p < b; p++)
            for (int j = 0; j < l; j++)
            {
                int best = 0, at = p * k * l + j;
                T bestValue = v[at];
                for (int r = 1; r < k && !T.IsNaN(bestValue); r++)
                {
                    T x = v[at + r * l];
                    if (x > bestValue || T.IsNaN(x)) { best = r; bestValue = x; }
                }
                index[p * l + j] = best;
            }
        return index;
    }

    // 1/divisor per window [oh·ow], torch's avg_pool2d: the window clipped to the padded input (count_include_pad),
    // or to the input alone.
    private static Tensor<T> InverseDivisors<T>(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        static int Count(int o, int length, int k, int s, int p, bool includePad)
        {
            int start = o * s - p, end = Math.Min(start + k, length + p);
            return includePad ? end - start : Math.Min(end, length) - Math.Max(start, 0);
        }
        var inv = new T[oh * ow];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                inv[oy * ow + ox] = T.One / T.CreateTruncating(Count(oy, h, kh, sh, ph, countIncludePad) * Count(ox, w, kw, sw, pw, countIncludePad));
        return Tensor.FromArray(inv, oh * ow);
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
