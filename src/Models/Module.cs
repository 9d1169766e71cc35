using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models;

/// <summary>
/// A stateful network component, like torch.nn.Module: it owns its <see cref="Parameter{T}"/>s,
/// <see cref="Buffer{T}"/>s and child modules, registered explicitly by name (no reflection, so
/// trimming and AOT keep working), and computes <see cref="Forward(Var{T}, ForwardContext)"/>.
/// State-dict keys fall out of the tree: a child "0" with a parameter "weight" is <c>0.weight</c>.
/// Modules are normally built from a <see cref="Spec.LayerSpec"/> (<see cref="Spec"/> says which).
/// </summary>
/// <typeparam name="T"><see cref="float"/> (training) or <see cref="double"/> (kernels, gradient checks).</typeparam>
public abstract class Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<(string Name, Parameter<T> Value)> _parameters = [];
    private readonly List<(string Name, Buffer<T> Value)> _buffers = [];
    private readonly List<(string Name, Module<T> Value)> _children = [];
    private Parameter<T>[]? _allParameters;

    /// <summary>The description this module was built from (null for a hand-made module).</summary>
    public Spec.LayerSpec? Spec { get; protected init; }

    /// <summary>The forward pass on a batch (axis 0 is the batch), in training or evaluation mode.</summary>
    public abstract Var<T> Forward(Var<T> x, ForwardContext context);

    /// <summary>The evaluation-mode forward pass (deterministic, no state updated).</summary>
    public Var<T> Forward(Var<T> x) => Forward(x, ForwardContext.Eval);

    /// <summary>The evaluation-mode forward pass of a plain tensor, without recording a graph.</summary>
    public Tensor<T> Predict(Tensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using (GradMode.NoGrad()) return Forward(Var<T>.Constant(x), ForwardContext.Eval).Value;
    }

    // ------------------------------------------------------------------ registration

    /// <summary>Registers a parameter under <paramref name="name"/> (unique among this module's names).</summary>
    protected Parameter<T> AddParameter(string name, Parameter<T> parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckName(name);
        _parameters.Add((name, parameter));
        Invalidate();
        return parameter;
    }

    /// <summary>Registers a buffer under <paramref name="name"/>.</summary>
    protected Buffer<T> AddBuffer(string name, Buffer<T> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckName(name);
        _buffers.Add((name, buffer));
        return buffer;
    }

    /// <summary>Registers a child module under <paramref name="name"/>; its keys are prefixed with <c>name.</c>.</summary>
    protected TModule AddChild<TModule>(string name, TModule child) where TModule : Module<T>
    {
        ArgumentNullException.ThrowIfNull(child);
        CheckName(name);
        if (ReferenceEquals(child, this)) throw new ArgumentException("A module cannot be its own child.", nameof(child));
        _children.Add((name, child));
        Invalidate();
        return child;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"Module member names must be non-empty and contain no '.'; got '{name}'.", nameof(name));
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'.", nameof(name));
    }

    private void Invalidate() => _allParameters = null;

    // ------------------------------------------------------------------ the tree

    /// <summary>This module's children in registration order.</summary>
    public IEnumerable<(string Name, Module<T> Module)> Children() => _children;

    /// <summary>Every parameter of the tree with its state-dict key, depth first in registration order (PyTorch's named_parameters).</summary>
    public IEnumerable<(string Key, Parameter<T> Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in _parameters) yield return (prefix + name, p);
        foreach (var (name, c) in _children)
            foreach (var item in c.NamedParameters(prefix + name + ".")) yield return item;
    }

    /// <summary>Every buffer of the tree with its state-dict key.</summary>
    public IEnumerable<(string Key, Buffer<T> Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in _buffers) yield return (prefix + name, b);
        foreach (var (name, c) in _children)
            foreach (var item in c.NamedBuffers(prefix + name + ".")) yield return item;
    }

    /// <summary>Every module of the tree (this one first, key ""), depth first.</summary>
    public IEnumerable<(string Key, Module<T> Module)> NamedModules(string prefix = "")
    {
        yield return (prefix.TrimEnd('.'), this);
        foreach (var (name, c) in _children)
            foreach (var item in c.NamedModules(prefix + name + ".")) yield return item;
    }

    /// <summary>
    /// The parameters of the tree in <see cref="NamedParameters"/> order, each once (a parameter shared by
    /// two layers appears at its first key); the list an optimizer is given. Keys are set on the parameters.
    /// The list is computed once: build the tree completely (as specs do) before asking for it.
    /// </summary>
    public IReadOnlyList<Parameter<T>> Parameters()
    {
        if (_allParameters is not null) return _allParameters;
        var seen = new HashSet<Parameter<T>>(ReferenceEqualityComparer.Instance);
        var list = new List<Parameter<T>>();
        foreach (var (key, p) in NamedParameters())
            if (seen.Add(p)) { p.Key = key; list.Add(p); }
        foreach (var (key, b) in NamedBuffers()) b.Key = key;
        _allParameters = [.. list];
        return _allParameters;
    }

    /// <summary>Total number of trainable scalars.</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Length);

    /// <summary>Clears every parameter's gradient (keeping the buffers for reuse).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>
    /// Redraws every parameter of the tree from its initializer, depth first in key order, each from its
    /// own generator split off <paramref name="rng"/> by position, so the result does not depend on threads.
    /// Buffers return to their initial state (<see cref="ResetBuffers"/>).
    /// </summary>
    public void ResetParameters(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        foreach (var p in Parameters()) p.Reset(rng);
        foreach (var (_, m) in NamedModules()) m.ResetBuffers();
    }

    /// <summary>Puts this module's own buffers back to their initial values (batch norm: mean 0, variance 1, count 0).</summary>
    protected virtual void ResetBuffers() { }

    /// <summary>A one-line description: the spec when there is one.</summary>
    public override string ToString() => Spec?.ToString() ?? GetType().Name;
}
