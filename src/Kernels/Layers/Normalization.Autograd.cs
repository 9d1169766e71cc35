using NativeFree.Autograd;
using NativeFree.Kernels.Empirical;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

// Autograd forward passes of LayerNorm and Dropout: the same maps as their Apply(Parameters, Tensor, …).

public sealed partial class LayerNorm : IDifferentiableLayer
{
    /// <inheritdoc/>
    public Var<double> Apply(Parameters parameters, ParameterVars vars, Var<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        // Over the channel axis only, biased variance, no affine parameters: (x − mean)/√(var + ε).
        return NnLayers.LayerNorm(x, 1, eps: epsilon);
    }
}

public sealed partial class Dropout : IDifferentiableLayer
{
    /// <inheritdoc/>
    /// <remarks>
    /// In test mode (or keep = 1) the identity. In training mode the mask is drawn from
    /// <see cref="ParameterVars.Sampler"/> exactly as <see cref="Apply(Parameters, Tensor{double}, INormalSampler?)"/>
    /// draws it, so the same sampler state gives the same mask; the mask is a constant (no gradient through it).
    /// </remarks>
    public Var<double> Apply(Parameters parameters, ParameterVars vars, Var<double> x)
    {
        ArgumentNullException.ThrowIfNull(vars);
        ArgumentNullException.ThrowIfNull(x);
        if (!Training || Keep == 1) return x;
        var sampler = vars.Sampler
            ?? throw new ArgumentException($"{Name}: training-mode dropout needs a sampler for its masks (set ParameterVars.Sampler, or use dropout(keep, mode=test)).", nameof(vars));
        var u = new double[x.Value.Length];
        sampler.FillNormal(u);
        double q = NormalQuantile(Keep), inv = 1 / Keep;
        var mask = new double[u.Length];
        for (int i = 0; i < u.Length; i++) mask[i] = u[i] < q ? inv : 0;
        return x * Var<double>.Constant(Tensor.FromArray(mask, x.Value.ShapeArray));
    }
}
