using Distill.Shared.Wire;

namespace Distill.StudentTrainer.Teacher;

public interface ITeacher
{
    ModelInfo Model { get; }
    Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct);
    Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct);
}
