using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Layers;

/// <summary>
/// Max or average pooling over [C, L] or [C, H, W] (torch.nn.MaxPool1d/2d, AvgPool1d/2d): the rank is the number
/// of kernel sizes. Output size per axis is PyTorch's ⌊(L + 2p − k)/s⌋ + 1, or with <see cref="CeilMode"/> ⌈…⌉ + 1
/// minus one when the last window would start in the right padding.
/// </summary>
public abstract record PoolSpec : LayerSpec
{
    private readonly int[] _kernel, _stride, _padding;

    /// <summary>Pooling windows of size <paramref name="kernel"/>, stride = kernel and no padding (torch's defaults).</summary>
    protected PoolSpec(IReadOnlyList<int> kernel)
    {
        _kernel = Sizes.Copy(kernel, nameof(kernel));
        _stride = (int[])_kernel.Clone();
        _padding = Sizes.Repeat(0, _kernel.Length);
    }

    /// <summary>Number of spatial axes (1 or 2).</summary>
    public int SpatialRank => _kernel.Length;

    /// <summary>Window size per spatial axis.</summary>
    public IReadOnlyList<int> Kernel { get => _kernel; init => _kernel = Sizes.Copy(value, nameof(Kernel)); }

    /// <summary>Stride per spatial axis (the kernel by default).</summary>
    public IReadOnlyList<int> Stride { get => _stride; init => _stride = Sizes.Copy(value, nameof(Stride)); }

    /// <summary>Implicit padding on both sides of each axis (−∞ for max, zeros for average); at most half the kernel, as torch.</summary>
    public IReadOnlyList<int> Padding { get => _padding; init => _padding = Sizes.Copy(value, nameof(Padding)); }

    /// <summary>PyTorch's ceil_mode: a partial last window is kept.</summary>
    public bool CeilMode { get; init; }

    /// <summary>The SPEC name without the 1d suffix (max_pool, avg_pool).</summary>
    protected abstract string BaseName { get; }

    /// <inheritdoc/>
    public override string Kind => SpatialRank == 1 ? BaseName + "1d" : BaseName;

    /// <summary>The output length of one axis of length <paramref name="length"/>, or ≤ 0 when the window does not fit.</summary>
    public int OutLength(int axis, int length)
        => NnLayers.PoolOutputLength(length, _kernel[axis], _stride[axis], _padding[axis], CeilMode);   // the formula the op itself uses

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        if (SpatialRank is < 1 or > 2 || _stride.Length != SpatialRank || _padding.Length != SpatialRank)
            throw new ArgumentException($"{this}: kernel, stride and padding need one size per spatial axis (1 or 2 axes).");
        if (_kernel.Any(k => k < 1) || _stride.Any(s => s < 1) || _padding.Any(p => p < 0))
            throw new ArgumentException($"{this}: kernel and stride must be ≥ 1 and padding ≥ 0.");
        for (int a = 0; a < SpatialRank; a++)
            if (2 * _padding[a] > _kernel[a]) throw new ArgumentException($"{this}: padding {_padding[a]} exceeds half the kernel {_kernel[a]} (torch refuses it too).");
        var shape = CheckInput(input, SpatialRank + 1, SpatialRank + 1);
        var output = (int[])shape.Clone();
        for (int a = 0; a < SpatialRank; a++) output[a + 1] = OutLength(a, shape[a + 1]);
        if (output.Any(d => d < 1)) throw ShapeError(input, $"the window {Sizes.Text(_kernel)} is larger than the padded input, the output would be {Format(output)}");
        return output;
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) { OutputShape(input); return new Pool<T>(this, input); }

    /// <summary>The arguments after the kernel that differ from the defaults.</summary>
    protected List<string> Args()
    {
        var args = new List<string> { Sizes.Text(_kernel) };
        if (!Sizes.Equal(_stride, _kernel)) args.Add("stride=" + Sizes.Text(_stride));
        if (_padding.Any(p => p != 0)) args.Add("padding=" + Sizes.Text(_padding));
        if (CeilMode) args.Add("ceil_mode=true");
        return args;
    }

    /// <inheritdoc/>
    public override string ToSpecText() => $"{Kind}({string.Join(", ", Args())})";

    /// <inheritdoc/>
    public virtual bool Equals(PoolSpec? other)
        => base.Equals(other) && Sizes.Equal(_kernel, other._kernel) && Sizes.Equal(_stride, other._stride) && Sizes.Equal(_padding, other._padding) && CeilMode == other.CeilMode;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Sizes.Hash(_kernel), Sizes.Hash(_stride), Sizes.Hash(_padding), CeilMode);
}

/// <summary>Max pooling (<c>max_pool</c>, <c>max_pool1d</c>); the gradient goes to the maximum.</summary>
public sealed record MaxPoolSpec : PoolSpec
{
    /// <summary>Max pooling with windows <paramref name="kernel"/> (one size per spatial axis).</summary>
    public MaxPoolSpec(params int[] kernel) : base(kernel) { }

    /// <inheritdoc/>
    protected override string BaseName => "max_pool";
}

/// <summary>Average pooling (<c>avg_pool</c>, <c>avg_pool1d</c>).</summary>
public sealed record AvgPoolSpec : PoolSpec
{
    /// <summary>Average pooling with windows <paramref name="kernel"/> (one size per spatial axis).</summary>
    public AvgPoolSpec(params int[] kernel) : base(kernel) { }

    /// <summary>PyTorch's count_include_pad: padded zeros count in the divisor (true by default).</summary>
    public bool CountIncludePad { get; init; } = true;

    /// <inheritdoc/>
    protected override string BaseName => "avg_pool";

    /// <inheritdoc/>
    public override string ToSpecText()
    {
        var args = Args();
        if (!CountIncludePad) args.Add("count_include_pad=false");
        return $"{Kind}({string.Join(", ", args)})";
    }
}

/// <summary>The module of a <see cref="PoolSpec"/> (no parameters): the functional pooling ops of Autograd, with the spec's ceil_mode and count_include_pad.</summary>
public sealed class Pool<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PoolSpec _spec;
    private readonly int[] _input;

    internal Pool(PoolSpec spec, int[] input)
    {
        Spec = _spec = spec;
        _input = (int[])input.Clone();
    }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch(_spec.ToString(), _input, x.Shape);
        var k = _spec.Kernel; var s = _spec.Stride; var p = _spec.Padding;
        bool ceil = _spec.CeilMode;
        if (_spec is AvgPoolSpec avg)
            return _spec.SpatialRank == 1
                ? NnLayers.AvgPool1d(x, k[0], s[0], p[0], ceil, avg.CountIncludePad)
                : NnLayers.AvgPool2d(x, k[0], k[1], s[0], s[1], p[0], p[1], ceil, avg.CountIncludePad);
        return _spec.SpatialRank == 1
            ? NnLayers.MaxPool1d(x, k[0], s[0], p[0], ceil)
            : NnLayers.MaxPool2d(x, k[0], k[1], s[0], s[1], p[0], p[1], ceil);
    }
}

/// <summary>
/// torch.nn.AdaptiveAvgPool1d/2d: output i of an axis of length L averages [⌊i·L/out⌋, ⌈(i+1)·L/out⌉), so windows
/// overlap or differ in size when out does not divide L. Applied as one constant averaging matrix over the
/// flattened spatial axes (exact, and its gradient is the transpose).
/// </summary>
public sealed record AdaptiveAvgPoolSpec : LayerSpec
{
    private readonly int[] _output;

    /// <summary>Adaptive average pooling to <paramref name="output"/> (one size per spatial axis).</summary>
    public AdaptiveAvgPoolSpec(params int[] output) { _output = Sizes.Copy(output, nameof(output)); }

    /// <summary>Output size per spatial axis.</summary>
    public IReadOnlyList<int> Output => _output;

    /// <summary>Number of spatial axes (1 or 2).</summary>
    public int SpatialRank => _output.Length;

    /// <inheritdoc/>
    public override string Kind => SpatialRank == 1 ? "adaptive_avg_pool1d" : "adaptive_avg_pool";

    /// <summary>torch's window [start, end) of output <paramref name="i"/> of <paramref name="outSize"/> over a length <paramref name="length"/>.</summary>
    public static (int Start, int End) Window(int i, int length, int outSize)
        => ((int)((long)i * length / outSize), (int)(((long)(i + 1) * length + outSize - 1) / outSize));

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        if (SpatialRank is < 1 or > 2 || _output.Any(o => o < 1)) throw new ArgumentException($"{this}: one output size ≥ 1 per spatial axis (1 or 2 axes).");
        var shape = CheckInput(input, SpatialRank + 1, SpatialRank + 1);
        for (int a = 0; a < SpatialRank; a++) shape[a + 1] = _output[a];
        return shape;
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) { OutputShape(input); return new AdaptiveAvgPool<T>(this, input); }

    /// <inheritdoc/>
    public override string ToSpecText() => $"{Kind}({Sizes.Text(_output)})";

    /// <inheritdoc/>
    public bool Equals(AdaptiveAvgPoolSpec? other) => base.Equals(other) && Sizes.Equal(_output, other._output);

    /// <inheritdoc/>
    public override int GetHashCode() => Sizes.Hash(_output);
}

/// <summary>The module of <see cref="AdaptiveAvgPoolSpec"/> (no parameters).</summary>
public sealed class AdaptiveAvgPool<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _input, _outShape;
    private readonly Tensor<T> _averageT;   // [in spatial, out spatial]: y = x · A

    internal AdaptiveAvgPool(AdaptiveAvgPoolSpec spec, int[] input)
    {
        Spec = spec;
        _input = (int[])input.Clone();
        _outShape = spec.OutputShape(input);
        // Treat a 1-d input as height 1, so one loop builds both.
        int h = spec.SpatialRank == 1 ? 1 : input[1], w = input[^1];
        int oh = spec.SpatialRank == 1 ? 1 : spec.Output[0], ow = spec.Output[^1];
        var a = Tensor.Zeros<T>(h * w, oh * ow);
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                var (y0, y1) = AdaptiveAvgPoolSpec.Window(oy, h, oh);
                var (x0, x1) = AdaptiveAvgPoolSpec.Window(ox, w, ow);
                T v = T.One / T.CreateTruncating((y1 - y0) * (x1 - x0));
                for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) a[y * w + x, oy * ow + ox] = v;
            }
        _averageT = a;
    }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch(Spec!.ToString(), _input, x.Shape);
        int n = x.Shape[0], c = _input[0];
        var y = Var<T>.MatMul(x.Reshape(n * c, _averageT.Shape[0]), Var<T>.Constant(_averageT));
        return y.Reshape([n, .. _outShape]);
    }
}

/// <summary>The mean over every spatial axis, [C, L] or [C, H, W] → [C] (neural-tangents' GlobalAvgPool).</summary>
public sealed record GlobalAvgPoolSpec : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => "global_avg_pool";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input) => [CheckInput(input, 2, 3)[0]];

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) => new GlobalAvgPool<T>(this, CheckInput(input, 2, 3));

    /// <inheritdoc/>
    public override string ToSpecText() => Kind;
}

/// <summary>The module of <see cref="GlobalAvgPoolSpec"/>.</summary>
public sealed class GlobalAvgPool<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _input;
    internal GlobalAvgPool(GlobalAvgPoolSpec spec, int[] input) { Spec = spec; _input = input; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch("global_avg_pool", _input, x.Shape);
        return x.Mean(Enumerable.Range(2, x.Rank - 2).ToArray());
    }
}
