using NativeFree.Autograd;
using NativeFree.Kernels.Empirical;

namespace NativeFree.Kernels.Layers;

// Autograd forward passes of the pooling layers: the same maps as their Apply(Parameters, Tensor, …).

public sealed partial class AvgPool : IDifferentiableLayer
{
    /// <inheritdoc/>
    public Var<double> Apply(Parameters parameters, ParameterVars vars, Var<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var shape = SpatialVar.Shape(x, Name);
        var (h, w) = Grid(shape.Spatial);
        var (ho, wo, pt, pl) = _win.Output(h, w, Name);
        // Zero padding counts in the average (÷ kh·kw everywhere), as in Apply and AvgPool2d.
        var nchw = SpatialVar.ToPaddedNchw(x, h, w, _win, ho, wo, pt, pl);
        return SpatialVar.FromNchw(NnLayers.AvgPool2d(nchw, _win.Kh, _win.Kw, _win.Sh, _win.Sw), _rank == 2);
    }
}

public sealed partial class GlobalAvgPool : IDifferentiableLayer
{
    /// <inheritdoc/>
    public Var<double> Apply(Parameters parameters, ParameterVars vars, Var<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var shape = SpatialVar.Shape(x, Name);
        OutputShape(shape);
        return x.Mean(Enumerable.Range(1, x.Rank - 2).ToArray());
    }
}

public sealed partial class Flatten : IDifferentiableLayer
{
    /// <inheritdoc/>
    public Var<double> Apply(Parameters parameters, ParameterVars vars, Var<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.Shape[0];
        return x.Reshape(n, x.Value.Length / Math.Max(1, n));
    }
}
