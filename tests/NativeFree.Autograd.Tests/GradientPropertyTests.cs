using FsCheck;
using FsCheck.Fluent;
using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>
/// GradCheck and GradGradCheck on every registered op, over shapes drawn by FsCheck: rank 0–3, sizes 1–3 (so size-1 and broadcast axes are common).
/// </summary>
public class GradientPropertyTests
{
    private static readonly Arbitrary<(int[] Shape, int Seed)> Cases =
        Gen.Choose(0, 3).SelectMany(rank => Gen.ArrayOf(Gen.Choose(1, 3), rank))
           .SelectMany(shape => Gen.Choose(0, int.MaxValue - 1), (shape, seed) => (shape, seed))
           .ToArbitrary();

    public static TheoryData<string> Ops => new(OpRegistry.All.Select(o => o.Name));

    [Fact]
    public void Every_registered_op_has_a_gradient_property()
    {
        var missing = OpRegistry.All.Select(o => o.Name).Where(n => !OpCases.All.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, "ops without a GradCheck case in OpCases: " + string.Join(", ", missing));
        var stale = OpCases.All.Keys.Where(n => OpRegistry.Find(n) is null).ToList();
        Assert.True(stale.Count == 0, "cases for unregistered ops: " + string.Join(", ", stale));
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void GradCheck_passes_on_random_shapes(string op) => Run(op, maxTest: 25, secondOrder: false);

    // Every op, not only the curved ones: GradGradCheck differentiates vᵀ·∂f/∂x with respect to the
    // adjoint v as well as x, and that derivative is the first-order Jacobian again, so a rule whose
    // gradient is detached from v (a plain tensor under createGraph) gets 0 there and fails, even for
    // piecewise-linear ops whose second derivative in x is 0.
    [Theory]
    [MemberData(nameof(Ops))]
    public void GradGradCheck_passes_on_random_shapes(string op) => Run(op, maxTest: 8, secondOrder: true);

    private static void Run(string op, int maxTest, bool secondOrder)
    {
        var make = OpCases.All[op];
        var property = Prop.ForAll(Cases, c =>
        {
            var (inputs, f) = make(c.Shape, new Random(c.Seed));
            var result = secondOrder ? GradGradCheck.Run(f, inputs) : GradCheck.Run(f, inputs);
            return result.Passed.Label($"{op} at shape {ShapeUtil.Format(c.Shape)}, seed {c.Seed}: {result}");
        });
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest), property);
    }
}
