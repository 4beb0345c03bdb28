using static TorchSharp.torch;

namespace Distill.StudentTrainer.Schemes;

/// <summary>One token drawn for each row from the teacher-mixed distribution, with what the loss needs of that moment.</summary>
/// <param name="Tokens">(B) int64 sampled ids.</param>
/// <param name="StudentLogProbs">(B) log q(y) of the sampling student.</param>
/// <param name="TeacherLogProbs">(B) log p(y) of the rebuilt full-vocabulary teacher (the teacher's own value on its top-k).</param>
/// <param name="ImportanceWeights">(B) q(y)/p̃(y).</param>
public sealed record RolloutToken(Tensor Tokens, Tensor StudentLogProbs, Tensor TeacherLogProbs, Tensor ImportanceWeights);
