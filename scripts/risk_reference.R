# An independent check of lib/risk_model.ts (README, "The risk model"): the same logistic
# regression of stroke fitted by R, with Firth's penalty (brglm2) and as a plain glm, on the
# dataset's complete cases, and a 5-fold stratified cross-validated AUC with R's own folds.
#
#   apt-get install r-base-core r-cran-brglm2
#   Rscript scripts/risk_reference.R ../shared/data/healthcare-dataset-stroke-data.csv
suppressMessages(library(brglm2))
args <- commandArgs(trailingOnly = TRUE)
csv <- if (length(args) > 0) args[1] else "../shared/data/healthcare-dataset-stroke-data.csv"
d <- read.csv(csv, na.strings = c("N/A", ""), stringsAsFactors = FALSE)
d <- d[!is.na(d$bmi), ]
cat("complete cases", nrow(d), "strokes", sum(d$stroke), "\n")
# The app's steps (per 10 years, per 10 mg/dL, per 5 kg/m2) and reference levels.
d$age <- d$age / 10
d$avg_glucose_level <- d$avg_glucose_level / 10
d$bmi <- d$bmi / 5
levels_first <- list(gender = "Female", ever_married = "No", work_type = "Private",
                     Residence_type = "Rural", smoking_status = "never smoked")
for (f in names(levels_first)) d[[f]] <- relevel(factor(d[[f]]), levels_first[[f]])
d$hypertension <- factor(d$hypertension)
d$heart_disease <- factor(d$heart_disease)
f <- stroke ~ age + avg_glucose_level + bmi + gender + hypertension + heart_disease +
  ever_married + work_type + Residence_type + smoking_status

control <- brglm_control(maxit = 5000, epsilon = 1e-10, slowit = 0.2, type = "AS_mean")
firth <- suppressWarnings(glm(f, family = binomial, data = d, method = "brglmFit",
                              control = control))
b <- coef(firth)
se <- sqrt(diag(vcov(firth)))
cat("\nFirth (brglm2 AS_mean): odds ratio, 95% Wald interval\n")
print(signif(data.frame(or = exp(b), low = exp(b - qnorm(0.975) * se),
                        high = exp(b + qnorm(0.975) * se)), 6))

plain <- suppressWarnings(glm(f, family = binomial, data = d))
cat("\nPlain maximum likelihood (glm): odds ratio\n")
print(signif(exp(coef(plain)), 6))

X <- model.matrix(f, d)
y <- d$stroke
auc <- function(s, y) {
  r <- rank(s); n1 <- sum(y == 1); n0 <- sum(y == 0)
  (sum(r[y == 1]) - n1 * (n1 + 1) / 2) / (n1 * n0)
}
means <- sapply(1:10, function(seed) {
  set.seed(seed)
  fold <- integer(nrow(d))
  pos <- sample(which(y == 1)); neg <- sample(which(y == 0))
  fold[pos] <- (seq_along(pos) - 1) %% 5
  fold[neg] <- (seq_along(neg) - 1 + length(pos)) %% 5
  mean(sapply(0:4, function(k) {
    m <- suppressWarnings(glm.fit(X[fold != k, ], y[fold != k], family = binomial()))
    beta <- m$coefficients
    beta[is.na(beta) | abs(beta) > 8] <- 0 # the separated levels' runaway estimates
    auc(X[fold == k, ] %*% beta, y[fold == k])
  }))
})
cat("\n5-fold stratified CV AUC (plain glm), 10 seeds: mean", round(mean(means), 4),
    "range", round(range(means), 4), "\n")
