using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// The uniform draw r ∈ [0, 1) that decides where batch n comes from (gold, sampled or replayed), a pure function of
/// (seed, n) kept apart from the step's other draws, so the source of a batch can be known before its step: the trainer
/// prefetches the teacher's answers of the batches that will be gold.
/// </summary>
public sealed class BatchSourceDraws(int seed)
{
    private const long Stream = 0x5ced_0000_0000_0000;   // clear of the step streams (seed, step)

    public double For(long batchIndex) => StepRandom.For(seed, Stream + batchIndex).NextDouble();
}
