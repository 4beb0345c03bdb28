using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>An evaluator of fixed figures that throws on its <paramref name="failingCall"/>-th call (1-based; 0: never).</summary>
internal sealed class FailingEvaluator(int failingCall = 0) : IStudentEvaluator
{
    public int Calls { get; private set; }

    public StudentEvaluation Evaluate(CausalLm model)
    {
        if (++Calls == failingCall) throw new IOException("the evaluation failed (injected)");
        return new StudentEvaluation(1.0, null, null, 0.5, null, null);
    }
}
