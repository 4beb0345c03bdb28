using System.Text;
using Distill.StudentTrainer.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Training;

/// <param name="Parameters">Updated in this order; also the order of the saved state.</param>
/// <param name="WeightDecay">Decoupled decay: each step multiplies the parameters by 1 − lr·decay.</param>
public sealed record AdamWGroup(IReadOnlyList<Parameter> Parameters, double WeightDecay);

/// <summary>
/// AdamW (Loshchilov &amp; Hutter) with the arithmetic of TorchSharp's: per parameter with a gradient, step t += 1,
/// p ← p·(1 − lr·λ), m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
/// Unlike TorchSharp's, every Scalar handed to native code is held until the step ends, so a garbage collection on
/// another thread cannot free one mid-call (see <see cref="Scalars"/>). Its state (steps and moments) saves to a file.
/// </summary>
public sealed class AdamWOptimizer : optim.Optimizer
{
    private const string FileTag = "distill-adamw-1";

    private readonly AdamWGroup[] _groups;
    private readonly Moments[] _moments;   // one per parameter, in group order
    private readonly double _beta1, _beta2, _epsilon;

    public AdamWOptimizer(IReadOnlyList<AdamWGroup> groups, double learningRate, double beta1 = 0.9, double beta2 = 0.95, double epsilon = 1e-8)
        : base(IntPtr.Zero)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!(beta1 is >= 0 and < 1) || !(beta2 is >= 0 and < 1))
            throw new ArgumentException($"AdamW betas must be in [0, 1), got ({beta1}, {beta2})");
        if (!(epsilon >= 0)) throw new ArgumentException($"AdamW ε must be ≥ 0, got {epsilon}");
        if (groups.Any(g => !(g.WeightDecay >= 0))) throw new ArgumentException("AdamW weight decay must be ≥ 0");
        _groups = [.. groups];
        (_beta1, _beta2, _epsilon) = (beta1, beta2, epsilon);
        LearningRate = learningRate;
        _moments = [.. _groups.SelectMany(g => g.Parameters).Select(p => new Moments(p))];
    }

    /// <summary>The learning rate of the next <see cref="step"/>; set it before each step to follow a schedule.</summary>
    public double LearningRate
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentException($"learning rate must be ≥ 0, got {value}");
    }

    /// <summary>Calls of <see cref="step"/> so far (counted as each begins): whether an update has touched the parameters.</summary>
    public long Updates { get; private set; }

    public override IEnumerable<Parameter> parameters() => _groups.SelectMany(g => g.Parameters);

    public override void zero_grad()
    {
        foreach (Parameter parameter in parameters())
        {
            using Tensor? grad = parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>Updates every parameter that has a gradient. A closure, if given, is evaluated first (with gradients) and its loss returned.</summary>
    public override Tensor? step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
            using (enable_grad()) loss = closure();
        Updates++;

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Scalar beta1 = Scalars.Of(_beta1), oneMinusBeta1 = Scalars.Of(1 - _beta1);
        Scalar beta2 = Scalars.Of(_beta2), oneMinusBeta2 = Scalars.Of(1 - _beta2), epsilon = Scalars.Of(_epsilon);
        int index = 0;
        foreach (AdamWGroup group in _groups)
        {
            using Scalar decay = (1.0 - LearningRate * group.WeightDecay).ToScalar();
            foreach (Parameter parameter in group.Parameters)
            {
                Moments moments = _moments[index++];
                Tensor? grad = parameter.grad;
                if (grad is null) continue;
                moments.Step++;
                double biasCorrection1 = 1.0 - Math.Pow(_beta1, moments.Step);
                double biasCorrection2 = 1.0 - Math.Pow(_beta2, moments.Step);
                using Scalar rootOfCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
                using Scalar stepSize = (-(LearningRate / biasCorrection1)).ToScalar();

                parameter.mul_(decay);
                moments.Mean.mul_(beta1).add_(grad, oneMinusBeta1);
                moments.SquaredMean.mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
                Tensor denominator = moments.SquaredMean.sqrt().div_(rootOfCorrection2).add_(epsilon, Scalars.One);
                parameter.addcdiv_(moments.Mean, denominator, stepSize);
            }
        }
        return loss;
    }

    /// <summary>Writes the step counts and moments of every parameter, in parameter order.</summary>
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path), Encoding.UTF8);
        writer.Write(FileTag);
        writer.Write(_moments.Length);
        foreach (Moments moments in _moments)
        {
            writer.Write(moments.Step);
            moments.Mean.Save(writer);
            moments.SquaredMean.Save(writer);
        }
    }

    /// <summary>Restores what <see cref="Save"/> wrote for an optimiser over parameters of the same shapes, in the same order.</summary>
    public void Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        try
        {
            if (reader.ReadString() != FileTag) throw new InvalidDataException($"'{path}' is not an AdamW state file");
            int count = reader.ReadInt32();
            if (count != _moments.Length)
                throw new InvalidDataException($"'{path}' holds the state of {count} parameters, this model has {_moments.Length}");
            foreach (Moments moments in _moments)
            {
                moments.Step = reader.ReadInt64();
                moments.Mean.Load(reader);
                moments.SquaredMean.Load(reader);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' does not hold an AdamW state for this model's parameters: {e.Message}", e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (Moments moments in _moments) moments.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Running first and second moments of one parameter's gradient, and its step count.</summary>
    private sealed class Moments(Parameter parameter) : IDisposable
    {
        public long Step { get; set; }
        public Tensor Mean { get; } = zeros_like(parameter).DetachFromDisposeScope();
        public Tensor SquaredMean { get; } = zeros_like(parameter).DetachFromDisposeScope();

        public void Dispose()
        {
            Mean.Dispose();
            SquaredMean.Dispose();
        }
    }
}
