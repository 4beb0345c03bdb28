using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// The mean objective of a step and its two parts. A step sums them over its micro-batches on the device
/// (<see cref="Sums"/>, <see cref="Add"/>) and reads them back only on logging steps (<see cref="Mean"/>).
/// </summary>
public readonly record struct StepLosses(double Loss, double CrossEntropy, double Divergence)
{
    /// <summary>(3) float64 zeros: loss, cross-entropy and divergence summed over micro-batches.</summary>
    public static Tensor Sums(Device device) => zeros(3, ScalarType.Float64, device);

    /// <summary>Adds one micro-batch's scalars (detached) to <paramref name="sums"/>.</summary>
    public static void Add(Tensor sums, Tensor loss, Tensor crossEntropy, Tensor divergence) =>
        sums.add_(stack([loss.detach(), crossEntropy.detach(), divergence.detach()]).to_type(ScalarType.Float64), Scalars.One);

    /// <summary>The means over <paramref name="count"/> micro-batches, read back from the device.</summary>
    public static StepLosses Mean(Tensor sums, int count)
    {
        double[] mean = sums.div(Scalars.Of(count)).cpu().data<double>().ToArray();
        return new StepLosses(mean[0], mean[1], mean[2]);
    }
}
