using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Hosting;

public static class TeacherServerOptionsRegistration
{
    /// <summary>Binds <see cref="TeacherServerOptions"/> to its configuration section, validated when the host starts.</summary>
    public static OptionsBuilder<TeacherServerOptions> AddTeacherServerOptions(this IServiceCollection services) =>
        services.AddOptions<TeacherServerOptions>()
            .BindConfiguration(TeacherServerOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
}
