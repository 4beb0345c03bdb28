using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Distillation;

/// <summary>The loss of one micro-batch: (1 − λ)·CE(gold) + λ·D(teacher ‖ student), masked token means.</summary>
public static class DistillationStep
{
    /// <param name="inputs">(B, T) int64 on the model's device.</param>
    /// <param name="targets">(B, T) int64 gold next tokens.</param>
    /// <param name="mask">(B, T) bool: positions that count (prompt and padding are false).</param>
    /// <param name="teacher">The teacher's top-k for the same positions; null when λ = 0.</param>
    /// <returns>The objective and its two parts (the divergence is zero without a teacher).</returns>
    public static (Tensor Loss, Tensor CrossEntropy, Tensor Divergence) Loss(
        CausalLm model, Tensor inputs, Tensor targets, Tensor mask, TeacherTargets? teacher, DistillOptions options)
    {
        if (options.UsesTeacher && teacher is null) throw new ArgumentException("λ > 0 needs the teacher's answer");
        Tensor logits = model.Forward(inputs);                                                       // (B, T, V)
        Tensor weights = mask.to_type(logits.dtype);                                                 // (B, T)
        Tensor tokenLosses = nn.functional.cross_entropy(
            logits.flatten(0, 1), targets.flatten(), reduction: nn.Reduction.None).view_as(weights);  // (B, T)
        Tensor crossEntropy = (tokenLosses * weights).sum() / weights.sum().clamp_min(Scalars.Of(1L));
        if (teacher is null) return (crossEntropy, crossEntropy, zeros_like(crossEntropy));

        Tensor divergence = Divergences.Compute(options.Divergence, logits, teacher.Ids, teacher.LogProbs, mask, options.DivergenceOptions);
        double lambda = options.Lambda;
        Tensor loss = lambda == 1
            ? divergence
            : crossEntropy.mul(Scalars.Of(1 - lambda)).add(divergence.mul(Scalars.Of(lambda)), Scalars.One);
        return (loss, crossEntropy, divergence);
    }
}
