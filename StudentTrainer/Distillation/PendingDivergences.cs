using static TorchSharp.torch;
namespace Distill.StudentTrainer.Distillation;
public enum DivergenceKind { Fkl, Rkl, Js, Tvd, Skl, Srkl, Akl }
public sealed record DivergenceOptions(double Temperature = 1.0, double Alpha = 0.1, double Beta = 0.5, double Mu = 0.5);
public static class Divergences
{
    public static Tensor Compute(DivergenceKind kind, Tensor studentLogits, Tensor teacherIds, Tensor teacherLogProbs, Tensor mask, DivergenceOptions options)
    {
        Tensor pos = PerPosition(kind, studentLogits, teacherIds, teacherLogProbs, options);
        Tensor m = mask.to_type(pos.dtype);
        return (pos * m).sum() / m.sum().clamp_min(1);
    }
    public static Tensor PerPosition(DivergenceKind kind, Tensor studentLogits, Tensor teacherIds, Tensor teacherLogProbs, DivergenceOptions options)
    {
        Tensor logQ = nn.functional.log_softmax(studentLogits / options.Temperature, -1).gather(-1, teacherIds);
        Tensor p = teacherLogProbs.exp();
        return (p * (teacherLogProbs - logQ)).sum(-1);
    }
}
public static class DivergenceKindNames
{
    public static DivergenceKind Parse(string name) => Enum.Parse<DivergenceKind>(name, ignoreCase: true);
    public static string ToName(DivergenceKind kind) => kind.ToString().ToLowerInvariant();
}
