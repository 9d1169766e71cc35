using NativeFree.Autograd;
using NativeFree.Kernels.Empirical;

namespace NativeFree.Kernels.Layers;

// The Autograd forward pass of Conv: the same map as Apply(Parameters, Tensor, …), recorded on the tape.
public sealed partial class Conv : IDifferentiableLayer
{
    /// <inheritdoc/>
    public Var<double> Apply(Parameters parameters, ParameterVars vars, Var<double> x)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(vars);
        ArgumentNullException.ThrowIfNull(x);
        var shape = SpatialVar.Shape(x, Name);
        var (h, w) = Grid(shape.Spatial);
        int cin = shape.Channels;
        var weights = parameters.Tensors[0];
        if (weights.Dim(2) != cin)
            throw new ArgumentException($"{Name}: input has {cin} channels but the filter expects {weights.Dim(2)}.", nameof(x));
        var (ho, wo, pt, pl) = _win.Output(h, w, Name);
        var nchw = SpatialVar.ToPaddedNchw(x, h, w, _win, ho, wo, pt, pl);
        // Our filters are [kh, kw, C_in, C_out]; Autograd's Conv2d wants [C_out, C_in, kh, kw].
        var filter = vars[weights].Permute(3, 2, 0, 1);
        double wMul = Parametrization == Parametrization.Ntk ? WStd / Math.Sqrt(_win.Kh * _win.Kw * cin) : 1;
        var y = SpatialVar.FromNchw(NnLayers.Conv2d(nchw, filter, null, _win.Sh, _win.Sw), Filter.Length == 2) * wMul;
        if (BStd is not null)
            y = y + vars[parameters.Tensors[1]] * (Parametrization == Parametrization.Ntk ? BStd.Value : 1);
        return y;
    }
}
