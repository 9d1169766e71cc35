namespace NativeFree.Cli.Bench;

/// <summary>
/// One implementation of the <c>bench mlp-step</c> workload (an SGD step of a ReLU MLP with cross-entropy):
/// <see cref="MlpStep"/> written with autograd ops by hand, <see cref="ModelsMlpStep"/> built from Models.
/// Both draw the same weights and data for the same arguments, so their steps can be compared.
/// </summary>
public interface IMlpStep
{
    /// <summary>"hand" or "models", as <c>--impl</c> spells it.</summary>
    string Impl { get; }

    /// <summary>Rows per step.</summary>
    int Batch { get; }

    /// <summary>Layer widths, input first.</summary>
    int[] Dims { get; }

    /// <summary>Runs one step (forward, loss, backward, update, gradients cleared) and returns the loss before the update.</summary>
    float Step();

    /// <summary>
    /// Runs one step like <see cref="Step"/> and adds the stopwatch ticks of its three phases to
    /// <paramref name="ticks"/>: [0] forward and loss, [1] backward, [2] SGD update.
    /// </summary>
    void StepTimed(long[] ticks);

    /// <summary>Number of nodes one step's graph records (runs a forward pass; parameters are left untouched).</summary>
    int CountRecordedOps();

    /// <summary>The weights as W_i [in, out] and biases b_i, in the order W0, b0, W1, b1, … (copies).</summary>
    float[][] Weights();

    /// <summary>Creates the implementation named <paramref name="impl"/> ("models" or "hand").</summary>
    static IMlpStep Create(string impl, int batch, int[] dims, float learningRate = 1e-2f, int seed = 0) => impl switch
    {
        "models" => new ModelsMlpStep(batch, dims, learningRate, seed),
        "hand" => new MlpStep(batch, dims, learningRate, seed),
        _ => throw new ArgumentException($"Unknown mlp-step implementation '{impl}': use models or hand.", nameof(impl)),
    };
}
